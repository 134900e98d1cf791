"""Chapter 05, the concise GRU: the chapter's reset-after loop is nn.GRU, its layout table is right,
its reset-before loop is chapter 04's GRU, and its prose's claims hold."""

import copy
import math
import time

import pytest
import torch
import torch.nn.functional as F
from built_book import LANGUAGES, ROOT, chapter_definitions, glued
from torch import nn

import grubook

CHAPTER = ROOT / "chapters" / "05-concise-gru"
GPU_FACTOR_D2L = 12.5  # d2l's scratch vs concise GRU on a GPU, quoted in the prose


@pytest.fixture(scope="module")
def chapter():
    return chapter_definitions(CHAPTER / "en.md", {"torch": torch, "nn": nn, "F": F, "copy": copy,
                                                  "math": math, "time": time, "grubook": grubook})


def small_model(vocab_size=7, num_hiddens=5, seed=0):
    torch.manual_seed(seed)
    return grubook.RNNModel(nn.GRU(vocab_size, num_hiddens), vocab_size).double()


def test_the_layout_table_names_the_right_blocks(chapter):
    """Rows 0..h-1 are the reset gate and rows h..2h-1 the update gate: with the reset gate shut
    (R = 0), nn.GRU's step must be Z * H + (1 - Z) * tanh(X W_xh + b_xh), with Z from block 1."""
    model = small_model()
    layer, h = model.rnn, model.rnn.hidden_size
    with torch.no_grad():
        layer.bias_ih_l0[:h] = -60.0  # block 0: if it is the reset gate, R = 0
    W_xr, _, _, _, W_xz, W_hz, b_xz, b_hz, W_xh, W_hh, b_xh, _, W_hq, _ = chapter["to_book_layout"](
        layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0,
        model.dense.weight, model.dense.bias)
    assert W_xr.shape == (7, h) and W_hh.shape == (h, h) and W_hq.shape == (h, 7)
    X = torch.eye(7, dtype=torch.float64)[2:3]
    H0 = torch.rand(1, h, dtype=torch.float64) * 2 - 1
    _, H1 = layer(X.unsqueeze(0), H0.unsqueeze(0))
    Z = torch.sigmoid(X @ W_xz + b_xz + H0 @ W_hz + b_hz)
    expected = Z * H0 + (1 - Z) * torch.tanh(X @ W_xh + b_xh)
    assert torch.allclose(H1[0], expected, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_reset_after_loop_is_nn_gru(chapter, seed):
    """Scores, final state and all fourteen gradients agree in float64, from a random state."""
    model = small_model(seed=seed)
    torch.manual_seed(seed + 10)
    X, Y = torch.randint(0, 7, (3, 6)), torch.randint(0, 7, (3, 6))
    H0 = torch.rand(3, 5) * 2 - 1
    layer_result, scratch_result, params = chapter["run_both"](model, X, Y, H0, torch.float64)
    differences = chapter["largest_differences"](layer_result, scratch_result)
    assert max(differences.values()) < 1e-12
    assert len(params) == 14 and all(g is not None for g in scratch_result[2])


def test_largest_differences_sees_a_different_model(chapter):
    """The comparison can fail: reset-before scores differ from nn.GRU's far beyond rounding."""
    model = small_model()
    torch.manual_seed(3)
    X, Y = torch.randint(0, 7, (3, 6)), torch.randint(0, 7, (3, 6))
    H0 = torch.rand(3, 5) * 2 - 1
    layer_result, _, params = chapter["run_both"](model, X, Y, H0, torch.float64)
    inputs = list(F.one_hot(X.t(), 7).double())
    outputs, (H,) = chapter["gru_scratch"](inputs, (H0.double(),), params, reset_after=False)
    before = (torch.cat(outputs), H, [torch.zeros_like(g) for g in layer_result[2]])
    differences = chapter["largest_differences"](layer_result, before)
    assert differences["scores"] > 1e-3 and differences["state"] > 1e-3 and differences["gradients"] == 1


def test_the_reset_before_loop_is_chapter_04s_gru(chapter):
    """gru_scratch(reset_after=False) is chapter 04's gru with b_r = b_xr + b_hr, and so on."""
    chapter_04 = chapter_definitions(ROOT / "chapters" / "04-gru-scratch" / "en.md",
                                     {"torch": torch, "nn": nn})
    torch.manual_seed(4)
    shapes = [(6, 5), (5, 5), (5,), (5,)] * 3 + [(5, 6), (6,)]
    params = [torch.randn(shape, dtype=torch.float64) for shape in shapes]
    W_xr, W_hr, b_xr, b_hr, W_xz, W_hz, b_xz, b_hz, W_xh, W_hh, b_xh, b_hh, W_hq, b_q = params
    merged = [W_xr, W_hr, b_xr + b_hr, W_xz, W_hz, b_xz + b_hz, W_xh, W_hh, b_xh + b_hh, W_hq, b_q]
    inputs = [torch.eye(6, dtype=torch.float64)[[i, (i + 2) % 6]] for i in range(4)]
    H0 = torch.rand(2, 5, dtype=torch.float64)
    ours, (H_ours,) = chapter["gru_scratch"](inputs, (H0,), params, reset_after=False)
    theirs, (H_theirs,) = chapter_04["gru"](inputs, (H0,), merged)
    assert all(torch.allclose(a, b, atol=1e-12) for a, b in zip(ours, theirs))
    assert torch.allclose(H_ours, H_theirs, atol=1e-12)


def test_fastest_seconds_keeps_each_functions_fastest_run(chapter):
    calls = {"short": 0, "long": 0}

    def run(name, seconds):
        def function():
            calls[name] += 1
            time.sleep(seconds)
        return function

    best = chapter["fastest_seconds"]({"short": run("short", 0.001), "long": run("long", 0.02)},
                                      torch.device("cpu"), repeats=3)
    assert calls == {"short": 4, "long": 4}  # one warm-up run and three timed runs each
    assert 0.001 <= best["short"] < best["long"] and best["long"] >= 0.02


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_prose_claims_hold(code):
    values = glued(CHAPTER / f"{code}.md")
    # "the training perplexity went from ... to ..."; "at its best ... within the first quarter";
    # "the validation perplexity climbed to ..."
    assert values["train_perplexity"] < values["first_perplexity"]
    assert values["best_valid_epoch"] <= values["num_epochs"] / 4
    assert values["valid_perplexity"] > values["best_valid_perplexity"] > values["train_perplexity"]
    # "twenty or more characters in a row ... are copied from the training text"
    assert values["copied_chars"] >= 20
    # "In float64 the two implementations agree to within ...: below 10^-9"
    assert values["largest_diff_64"] < 1e-9
    # "In float32 the differences are larger ... but all below 10^-3"
    for name in ("scores", "state", "gradients"):
        assert values[f"{name}_diff_64"] <= values["largest_diff_64"]
        assert values[f"{name}_diff_32"] < 1e-3
    # "float64 shrinks the differences by many orders of magnitude" (at least three)
    assert values["largest_diff_64"] * 1e3 < values["largest_diff_32"]
    # "This is not rounding": the reset-before state differs by far more than float32 rounding,
    # picks the same character "only" part of the time, and scores the training text much worse
    assert values["before_state_diff"] > 0.1
    assert values["before_state_diff"] > 1e3 * values["state_diff_32"]
    assert values["before_same_choice_percent"] < 90
    assert values["before_text_perplexity"] > 2 * values["after_text_perplexity"]
    # "for training, forward and backward, nn.GRU ... is faster"
    assert values["train_speedup"] > 1
    # "on a CPU, expect less than half of that GPU factor" (checked where the page ran on a CPU)
    if values["device_name"].startswith("CPU"):
        assert values["train_speedup"] < GPU_FACTOR_D2L / 2
        assert values["forward_speedup"] < GPU_FACTOR_D2L / 2
    assert values["chapter_minutes"] > 0
