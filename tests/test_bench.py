"""`grubook.bench`: every GRU variant is nn.GRU, the minGRU scan is the minGRU loop, and the command
line runs (its quick mode) and writes what it prints."""

import csv
import math
import subprocess
import sys

import pytest
import torch
from built_book import ROOT
from torch import nn

import grubook
from grubook import bench


def float64_gru(input_size=5, hidden_size=7, seed=0):
    torch.manual_seed(seed)
    return nn.GRU(input_size, hidden_size).double()


@pytest.mark.parametrize("name", list(bench.GRU_VARIANTS) + ["torchscript"])
def test_every_variant_is_nn_gru_in_float64(name):
    gru = float64_gru()
    X = torch.randn(6, 3, 5, dtype=torch.float64)
    H0 = torch.randn(3, 7, dtype=torch.float64)
    if name == "torchscript":
        function, weights_of = bench.script(bench.gru_hoisted_inputs), bench.fused_weights
    else:
        function, weights_of = bench.GRU_VARIANTS[name]
    assert bench.gru_variant_difference(function, weights_of, gru, X, H0) < 1e-12


def test_a_wrong_variant_is_caught(monkeypatch):
    """The check can fail: a loop with the reset gate BEFORE the product is not nn.GRU."""

    def reset_before(X, H, params):
        W_xr, W_hr, b_xr, b_hr, W_xz, W_hz, b_xz, b_hz, W_xh, W_hh, b_xh, b_hh = params
        outputs = []
        for X_t in X:
            R = torch.sigmoid(X_t @ W_xr + b_xr + H @ W_hr + b_hr)
            Z = torch.sigmoid(X_t @ W_xz + b_xz + H @ W_hz + b_hz)
            H = Z * H + (1 - Z) * torch.tanh(X_t @ W_xh + b_xh + (R * H) @ W_hh + b_hh)
            outputs.append(H)
        return torch.stack(outputs), H

    gru = float64_gru()
    X, H0 = torch.randn(4, 2, 5, dtype=torch.float64), torch.randn(2, 7, dtype=torch.float64)
    assert bench.gru_variant_difference(reset_before, bench.separate_weights, gru, X, H0) > 1e-3
    monkeypatch.setitem(bench.GRU_VARIANTS, "loop", (reset_before, bench.separate_weights))
    with pytest.raises(AssertionError, match="loop differs from nn.GRU"):
        bench.gru_layer_rows("cpu", 2, 4, 5, 7, rounds=1, repeats=1, compilers=())


def test_the_reset_gate_acts_after_the_hidden_product():
    """With R = 0 the candidate ignores H entirely, bias b_hh included (reset after)."""
    gru = float64_gru(2, 3, seed=1)
    params = list(bench.separate_weights(gru))
    with torch.no_grad():
        params[2].fill_(-50.0)  # b_xr: R = 0
    X = torch.randn(1, 1, 2, dtype=torch.float64)
    H0 = torch.randn(1, 3, dtype=torch.float64)
    _, H = bench.gru_loop(X, H0, params)
    W_xz, W_hz, b_xz, b_hz, W_xh, b_xh = params[4], params[5], params[6], params[7], params[8], params[10]
    Z = torch.sigmoid(X[0] @ W_xz + b_xz + H0 @ W_hz + b_hz)
    assert torch.allclose(H, Z * H0 + (1 - Z) * torch.tanh(X[0] @ W_xh + b_xh))


def test_min_gru_is_the_equations():
    """One unit, one sequence, by hand: z = sigmoid(k), h~ = g(c), h = (1 - z) h + z h~."""
    torch.manual_seed(2)
    K, C = torch.randn(2, 5, 1, 1, dtype=torch.float64)
    h, expected = 0.0, []
    for k, c in zip(K.flatten().tolist(), C.flatten().tolist()):
        z = 1 / (1 + math.exp(-k))
        h_tilde = c + 0.5 if c >= 0 else 1 / (1 + math.exp(-c))
        h = (1 - z) * h + z * h_tilde
        expected.append(h)
    assert bench.min_gru_sequential(K, C).flatten().tolist() == pytest.approx(expected, abs=1e-12)
    assert bench.min_gru_scan(K, C).flatten().tolist() == pytest.approx(expected, rel=1e-10)


def test_g_and_log_g():
    x = torch.linspace(-30, 30, 601, dtype=torch.float64)
    assert (bench.g(x) > 0).all()
    assert torch.allclose(bench.log_g(x), bench.g(x).log())
    assert torch.allclose(bench.g(torch.tensor([0.0, 2.0, -1.0])), torch.tensor([0.5, 2.5, 1 / (1 + math.e)]))


@pytest.mark.parametrize("with_state", [False, True])
def test_the_scan_is_the_loop_in_float64(with_state):
    torch.manual_seed(3)
    K, C = torch.randn(2, 300, 4, 6, dtype=torch.float64) * 3
    H0 = torch.rand(4, 6, dtype=torch.float64) + 0.1 if with_state else None
    loop, scan = bench.min_gru_sequential(K, C, H0), bench.min_gru_scan(K, C, H0)
    assert loop.shape == scan.shape == (300, 4, 6)
    assert bench.relative_difference([(scan, loop)]) < 1e-10


@pytest.mark.parametrize("parallel", [False, True])
def test_a_min_gru_layer_carries_its_state_like_nn_gru(parallel):
    """Two layers, run on a sequence in two pieces with the state carried = run in one piece."""
    torch.manual_seed(4)
    layer = bench.MinGRU(5, 6, num_layers=2, parallel=parallel).double()
    X = torch.randn(20, 3, 5, dtype=torch.float64)
    Y, state = layer(X)
    assert Y.shape == (20, 3, 6) and state.shape == (2, 3, 6)
    Y1, state1 = layer(X[:8])
    Y2, state2 = layer(X[8:], state1)
    assert torch.allclose(torch.cat([Y1, Y2]), Y) and torch.allclose(state2, state)


def test_the_two_forms_of_a_layer_agree_with_gradients():
    torch.manual_seed(5)
    loop, scan = bench.MinGRU(4, 8, parallel=False).double(), bench.MinGRU(4, 8, parallel=True).double()
    scan.load_state_dict(loop.state_dict())
    assert bench.scan_difference(loop, scan, torch.randn(50, 2, 4, dtype=torch.float64)) < 1e-10


def test_rnn_model_wraps_a_min_gru():
    torch.manual_seed(6)
    model = grubook.RNNModel(bench.MinGRU(10, 12, num_layers=2), 10)
    logits, state = model(torch.randint(0, 10, (3, 7)))
    assert logits.shape == (7 * 3, 10) and state.shape == (2, 3, 12)
    logits, _ = model(torch.randint(0, 10, (3, 7)), state)  # continues from a positive state
    assert torch.isfinite(logits).all()


def test_relative_difference():
    a = torch.tensor([1.0, 2.0, 4.0])
    assert bench.relative_difference([(a, a)]) == 0
    assert bench.relative_difference([(a + torch.tensor([0.0, 0.4, 0.0]), a)]) == pytest.approx(0.1)


def test_time_steps_times_every_step_and_keeps_the_fastest_round():
    calls = {"a": 0, "b": 0}

    def step(name):
        def run():
            calls[name] += 1
            sum(range(20_000))

        return run

    seconds = bench.time_steps({"a": step("a"), "b": step("b")}, "cpu", rounds=3, repeats=2, warmup=1)
    assert set(seconds) == {"a", "b"} and all(s > 0 for s in seconds.values())
    assert calls == {"a": 1 + 3 * 2, "b": 1 + 3 * 2}


def test_threads_are_restored():
    before = torch.get_num_threads()
    bench.min_gru_rows("cpu", lengths=(8,), batch_size=2, input_size=3, hidden_size=4, rounds=1, threads=1)
    assert torch.get_num_threads() == before


def test_the_quick_benchmark_runs_from_the_command_line(tmp_path):
    """`python -m grubook.bench --quick`: a few seconds, one printed row per CSV row."""
    path = tmp_path / "bench.csv"
    result = subprocess.run(
        [sys.executable, "-m", "grubook.bench", "--quick", "--device", "cpu", "--csv", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == bench.COLUMNS
    implementations = {(r["experiment"], r["implementation"]) for r in rows}
    layer_names = [*bench.GRU_VARIANTS, "torchscript", "nn.GRU"]
    scan_names = ["nn.GRU", "min_gru_sequential", "min_gru_scan"]
    assert implementations == (
        {("gru_layer", name) for name in layer_names} | {("min_gru", name) for name in scan_names}
    )
    for row in rows:
        assert float(row["tokens_per_s"]) > 0 and float(row["seconds"]) > 0
        assert row["equivalent"] == "True"
        assert float(row["max_rel_diff"]) <= (
            bench.SCAN_TOLERANCE if row["experiment"] == "min_gru" else bench.GRU_TOLERANCE
        )
        assert row["peak_memory_mib"] == "n/a" and row["device"] == "cpu"
    nn_gru = [r for r in rows if r["implementation"] == "nn.GRU"]
    assert all(float(r["ratio_to_nn_gru"]) == 1.0 for r in nn_gru)
    printed = [
        line for line in result.stdout.splitlines() if line.strip().startswith(("gru_layer", "min_gru"))
    ]
    assert len(printed) == len(rows)
    assert f"{len(rows)} rows written to {path}" in result.stdout


def test_help_documents_the_command():
    result = subprocess.run(
        [sys.executable, "-m", "grubook.bench", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0
    for option in ("--quick", "--device", "--threads", "--compile", "--csv"):
        assert option in result.stdout
    assert "minutes" in bench.__doc__ and "python -m grubook.bench" in bench.__doc__
