"""Chapter 03, the full GRU and its notations: its functions are the equations it shows, the two
conventions it compares are what it says they are, and the claims its prose draws from numbers hold."""

import pytest
import torch
from built_book import LANGUAGES, ROOT, chapter_definitions, glued
from torch import nn

CHAPTER = ROOT / "chapters" / "03-full-gru"
EPS32 = torch.finfo(torch.float32).eps


@pytest.fixture(scope="module")
def chapter():
    return chapter_definitions(CHAPTER / "en.md", {"torch": torch, "nn": nn})


def random_params(d, h, seed, blocks="rzh"):
    """Float64 weights of a GRU in the book's names, drawn independently of the chapter's init."""
    generator = torch.Generator().manual_seed(seed)
    params = {}
    for block in blocks:
        params[f"W_x{block}"] = torch.randn(d, h, generator=generator, dtype=torch.float64) / h**0.5
        params[f"W_h{block}"] = torch.randn(h, h, generator=generator, dtype=torch.float64) / h**0.5
        params[f"b_{block}"] = torch.randn(h, generator=generator, dtype=torch.float64) / h**0.5
    return params


def random_sequence(steps, n, d, h, seed):
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(steps, n, d, generator=generator, dtype=torch.float64)
    H0 = 2 * torch.rand(n, h, generator=generator, dtype=torch.float64) - 1
    return inputs, H0


def test_gru_step_is_the_equations(chapter):
    """The candidate written with one concatenated matrix, [X, R*H] @ [W_xh; W_hh], as Ng and Cho do."""
    p = random_params(3, 4, seed=0)
    inputs, H = random_sequence(1, 2, 3, 4, seed=1)
    X = inputs[0]
    R = 1 / (1 + torch.exp(-(torch.cat([X, H], 1) @ torch.cat([p["W_xr"], p["W_hr"]]) + p["b_r"])))
    Z = 1 / (1 + torch.exp(-(torch.cat([X, H], 1) @ torch.cat([p["W_xz"], p["W_hz"]]) + p["b_z"])))
    H_tilde = torch.tanh(torch.cat([X, R * H], 1) @ torch.cat([p["W_xh"], p["W_hh"]]) + p["b_h"])
    R_c, Z_c, H_tilde_c = chapter["gru_parts"](X, H, p)
    for mine, theirs in [(R, R_c), (Z, Z_c), (H_tilde, H_tilde_c)]:
        assert torch.allclose(mine, theirs, atol=1e-12, rtol=0)
    assert torch.allclose(chapter["gru_step"](X, H, p), Z * H + (1 - Z) * H_tilde, atol=1e-12, rtol=0)


def test_init_params_has_the_books_shapes_and_range(chapter):
    params = chapter["init_params"](5, 16, "rzh")
    assert sorted(params) == sorted(f"{kind}{block}" for block in "rzh" for kind in ("W_x", "W_h", "b_"))
    for block in "rzh":
        assert params[f"W_x{block}"].shape == (5, 16) and params[f"W_h{block}"].shape == (16, 16)
        assert params[f"b_{block}"].shape == (16,)
    assert all(t.abs().max() <= 16**-0.5 for t in params.values())


def test_the_mirrored_convention_is_the_same_model(chapter):
    p = random_params(3, 5, seed=2)
    inputs, H0 = random_sequence(20, 2, 3, 5, seed=3)
    mirrored = chapter["mirror_update_gate"](p)
    keep = chapter["run_gru"](chapter["gru_step"], inputs, H0, p)
    write = chapter["run_gru"](chapter["gru_step_writes"], inputs, H0, mirrored)
    assert (keep - write).abs().max() < 1e-12
    # ... and its gate is the mirror image of the book's: U = 1 - Z
    Z = chapter["gru_parts"](inputs[0], H0, p)[1]
    U = torch.sigmoid(inputs[0] @ mirrored["W_xu"] + H0 @ mirrored["W_hu"] + mirrored["b_u"])
    assert torch.allclose(U, 1 - Z, atol=1e-12, rtol=0)


def test_renaming_the_gate_without_negating_it_is_a_different_model(chapter):
    """The check above can fail: copying the update gate's weights unchanged changes the outputs."""
    p = random_params(3, 5, seed=2)
    inputs, H0 = random_sequence(20, 2, 3, 5, seed=3)
    renamed = {**p, "W_xu": p["W_xz"], "W_hu": p["W_hz"], "b_u": p["b_z"]}
    keep = chapter["run_gru"](chapter["gru_step"], inputs, H0, p)
    write = chapter["run_gru"](chapter["gru_step_writes"], inputs, H0, renamed)
    assert (keep - write).abs().max() > 1e-3


def test_the_reset_after_loop_is_nn_gru(chapter):
    torch.manual_seed(4)
    layer = nn.GRU(3, 5).double()
    inputs, H0 = random_sequence(20, 2, 3, 5, seed=5)
    with torch.no_grad():
        expected, last = layer(inputs, H0.unsqueeze(0))
    params = chapter["params_from_torch"](layer)
    states = chapter["run_gru"](chapter["gru_step_reset_after"], inputs, H0, params)
    assert (states - expected).abs().max() < 1e-12
    assert torch.allclose(states[-1], last[0], atol=1e-12, rtol=0)


def test_the_two_placements_agree_only_with_the_reset_gate_open(chapter):
    torch.manual_seed(6)
    layer = nn.GRU(3, 5).double()
    inputs, H0 = random_sequence(20, 2, 3, 5, seed=7)
    after = chapter["params_from_torch"](layer)
    run, step_before, step_after = chapter["run_gru"], chapter["gru_step"], chapter["gru_step_reset_after"]

    def gap(params):
        before = chapter["reset_before_params"](params)
        return (run(step_before, inputs, H0, before) - run(step_after, inputs, H0, params)).abs().max()

    assert gap(after) > 1e-3
    opened = {**after, "b_r": torch.full_like(after["b_r"], 50.0)}  # sigma(50) is 1 in float64
    assert gap(opened) < 1e-12


def hand_jacobian(X, H, p):
    """dH_t/dH_{t-1} from the formula on the page (rows: units of H_t, columns: units of H_{t-1})."""
    R = torch.sigmoid(X @ p["W_xr"] + H @ p["W_hr"] + p["b_r"])[0]
    Z = torch.sigmoid(X @ p["W_xz"] + H @ p["W_hz"] + p["b_z"])[0]
    H_tilde = torch.tanh(X @ p["W_xh"] + (R * H) @ p["W_hh"] + p["b_h"])[0]
    h_prev = H[0]
    # d H_tilde / d H_{t-1}: through R * H directly, and through R's dependence on H
    d_pre = p["W_hh"].T @ torch.diag(R) + p["W_hh"].T @ torch.diag(h_prev * R * (1 - R)) @ p["W_hr"].T
    d_candidate = torch.diag(1 - H_tilde**2) @ d_pre
    return (
        torch.diag(Z)
        + torch.diag(1 - Z) @ d_candidate
        + torch.diag((h_prev - H_tilde) * Z * (1 - Z)) @ p["W_hz"].T
    )


def test_step_jacobian_is_the_formula_on_the_page(chapter):
    p = random_params(3, 6, seed=8)
    inputs, H0 = random_sequence(1, 1, 3, 6, seed=9)
    J = chapter["step_jacobian"](chapter["gru_step"], inputs[0], H0, p)
    assert J.shape == (6, 6)
    assert torch.allclose(J, hand_jacobian(inputs[0], H0, p), atol=1e-12, rtol=0)


def test_an_update_gate_pinned_open_makes_the_jacobian_the_identity(chapter):
    p = random_params(3, 6, seed=10)
    inputs, H0 = random_sequence(1, 1, 3, 6, seed=11)
    pinned = chapter["with_bias"](p, "b_z", 40.0)
    J = chapter["step_jacobian"](chapter["gru_step"], inputs[0], H0, pinned)
    assert (J - torch.eye(6, dtype=J.dtype)).abs().max() < 1e-12
    shut = chapter["with_bias"](p, "b_z", -40.0)
    J = chapter["step_jacobian"](chapter["gru_step"], inputs[0], H0, shut)
    assert (J - torch.eye(6, dtype=J.dtype)).abs().max() > 0.1


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_parameter_counts_match_the_formulas_and_pytorch(code):
    values = glued(CHAPTER / f"{code}.md")
    d, h = values["count_d"], values["count_h"]
    for name, layer, g in [("rnn", nn.RNN(d, h), 1), ("gru", nn.GRU(d, h), 3), ("lstm", nn.LSTM(d, h), 4)]:
        assert values[f"count_{name}_book"] == g * (d * h + h * h + h)
        assert values[f"count_{name}_pytorch"] == sum(p.numel() for p in layer.parameters())
        assert values[f"count_{name}_pytorch"] == g * (d * h + h * h + 2 * h)
    # "exactly three times the plain layer's and three quarters of the LSTM's"
    assert values["count_gru_book"] == 3 * values["count_rnn_book"]
    assert 4 * values["count_gru_book"] == 3 * values["count_lstm_book"]
    # "the difference is one extra bias vector per block, 3h numbers"
    assert values["count_gru_pytorch"] - values["count_gru_book"] == 3 * h


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_prose_claims_hold(code):
    values = glued(CHAPTER / f"{code}.md")
    # "+<pin_bias> pushes a sigmoid to ..., -<pin_bias> pushes it to the same distance from 0"
    assert values["sigmoid_pin"] == pytest.approx(torch.sigmoid(torch.tensor(values["pin_bias"])).item())
    assert values["sigmoid_pin"] > 0.999  # "a large bias" pins the gate
    # "All three pinned cases are below 0.001"; with the reset gate open, "more than a hundred times as much"
    for name in ("reset_shut_gap", "keep_change", "write_gap"):
        assert values[name] < 1e-3, name
    assert values["reset_open_gap"] >= 100 * values["reset_shut_gap"]
    # Jacobian: gate pinned "near 1" / "near 0"; "below 0.001" from the identity / "above 0.5"
    assert values["jacobian_mean_z_keep"] > 0.999 and values["jacobian_mean_z_write"] < 0.001
    assert values["jacobian_deviation_keep"] < 1e-3
    assert values["jacobian_deviation_write"] > 0.5
    # Trap 1: "below 1e-6 and of the order of float32's machine epsilon"
    assert values["mirror_difference"] < 1e-6
    assert values["mirror_difference"] <= 10 * EPS32
    # Trap 2: "agree to ... below 1e-5"; the worst difference is "more than 10^5 times float32's
    # machine epsilon" (the quoted multiple, and the difference itself against the epsilon)
    assert values["torch_vs_after"] < 1e-5
    assert values["before_after_in_eps"] > 1e5
    assert values["torch_vs_before"] > 1e5 * EPS32
    # "the average entry is off by ..., against an average size of ... for an entry of the state":
    # not rounding, a sizeable part of the state (more than a tenth of it)
    assert values["torch_vs_before_mean"] > 0.1 * values["torch_state_mean"]
    assert values["chapter_minutes"] > 0
