"""Chapter 05, the concise GRU: the chapter's reset-after loop is nn.GRU, its layout table is right,
its reset-before loop is chapter 04's GRU, and its prose's claims hold."""

import copy
import math
import re
import time

import pytest
import torch
import torch.nn.functional as F
from built_book import LANGUAGES, ROOT, chapter_definitions, glued, language_cell
from torch import nn

import grubook

CHAPTER = ROOT / "chapters" / "05-concise-gru"
GPU_FACTOR_D2L = 12.5  # d2l's scratch vs concise GRU on a GPU, quoted in the prose


@pytest.fixture(scope="module")
def chapter():
    return chapter_definitions(
        CHAPTER / "en.md",
        {
            "torch": torch,
            "nn": nn,
            "F": F,
            "copy": copy,
            "re": re,
            "math": math,
            "time": time,
            "grubook": grubook,
        },
    )


def small_model(vocab_size=7, num_hiddens=5, seed=0, embed_size=4):
    torch.manual_seed(seed)
    return grubook.RNNModel(nn.GRU(embed_size, num_hiddens), vocab_size, embedding=True).double()


def test_the_layout_table_names_the_right_blocks(chapter):
    """Rows 0..h-1 are the reset gate and rows h..2h-1 the update gate: with the reset gate shut
    (R = 0), nn.GRU's step must be Z * H + (1 - Z) * tanh(X W_xh + b_xh), with Z from block 1."""
    model = small_model()
    layer, h = model.rnn, model.rnn.hidden_size
    with torch.no_grad():
        layer.bias_ih_l0[:h] = -60.0  # block 0: if it is the reset gate, R = 0
    W_xr, _, _, _, W_xz, W_hz, b_xz, b_hz, W_xh, W_hh, b_xh, _, W_hq, _ = chapter["to_book_layout"](
        layer.weight_ih_l0,
        layer.weight_hh_l0,
        layer.bias_ih_l0,
        layer.bias_hh_l0,
        model.dense.weight,
        model.dense.bias,
    )
    assert W_xr.shape == (4, h) and W_hh.shape == (h, h) and W_hq.shape == (h, 7)
    X = torch.eye(4, dtype=torch.float64)[2:3]
    H0 = torch.rand(1, h, dtype=torch.float64) * 2 - 1
    _, H1 = layer(X.unsqueeze(0), H0.unsqueeze(0))
    Z = torch.sigmoid(X @ W_xz + b_xz + H0 @ W_hz + b_hz)
    expected = Z * H0 + (1 - Z) * torch.tanh(X @ W_xh + b_xh)
    assert torch.allclose(H1[0], expected, atol=1e-12, rtol=0)


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
    inputs = list(model.embedding.weight.detach()[X.t()])
    outputs, (H,) = chapter["gru_scratch"](inputs, (H0.double(),), params, reset_after=False)
    before = (torch.cat(outputs), H, [torch.zeros_like(g) for g in layer_result[2]])
    differences = chapter["largest_differences"](layer_result, before)
    assert differences["scores"] > 1e-3 and differences["state"] > 1e-3 and differences["gradients"] == 1


def test_the_reset_before_loop_is_chapter_04s_gru(chapter):
    """gru_scratch(reset_after=False) is chapter 04's gru with b_r = b_xr + b_hr, and so on."""
    chapter_04 = chapter_definitions(
        ROOT / "chapters" / "04-gru-scratch" / "en.md", {"torch": torch, "nn": nn}
    )
    torch.manual_seed(4)
    shapes = [(6, 5), (5, 5), (5,), (5,)] * 3 + [(5, 6), (6,)]
    params = [torch.randn(shape, dtype=torch.float64) for shape in shapes]
    W_xr, W_hr, b_xr, b_hr, W_xz, W_hz, b_xz, b_hz, W_xh, W_hh, b_xh, b_hh, W_hq, b_q = params
    merged = [W_xr, W_hr, b_xr + b_hr, W_xz, W_hz, b_xz + b_hz, W_xh, W_hh, b_xh + b_hh, W_hq, b_q]
    inputs = [torch.eye(6, dtype=torch.float64)[[i, (i + 2) % 6]] for i in range(4)]
    H0 = torch.rand(2, 5, dtype=torch.float64)
    ours, (H_ours,) = chapter["gru_scratch"](inputs, (H0,), params, reset_after=False)
    theirs, (H_theirs,) = chapter_04["gru"](inputs, (H0,), merged)
    assert all(torch.allclose(a, b, atol=1e-12, rtol=0) for a, b in zip(ours, theirs))
    assert torch.allclose(H_ours, H_theirs, atol=1e-12, rtol=0)


def test_a_one_hot_row_times_a_matrix_is_a_lookup():
    """The identity the lookup section shows, exactly, for any indices and any finite matrix."""
    torch.manual_seed(5)
    for vocab_size, embed_size in ((3, 2), (64, 64), (3948, 8)):
        W = torch.randn(vocab_size, embed_size) * 1e3
        X = torch.randint(vocab_size, (50,))
        X[0], X[-1] = 0, vocab_size - 1
        assert torch.equal(F.one_hot(X, vocab_size).float() @ W, W[X])


def test_sample_text_and_the_form_checks(chapter):
    """longest_copied finds the longest shared stretch; the verse check counts 7-character lines."""
    longest = chapter["longest_copied"]
    assert longest("xxabcdyy", "zzabcdzz") == 4 and longest("qq", "abc") == 0
    seven = chapter["share_of_seven_character_lines"]
    assert seven("一二三四五六七，一二三四五六七。一二三，") == pytest.approx(2 / 3)
    assert seven("一二三四五六七，一二三四") == 1  # the unfinished last line is not judged


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_prose_claims_hold(code):
    v = glued(CHAPTER / f"{code}.md")
    # every split has its budget; "dozens of times the previous chapter's text" (zh: that text is
    # "几十分之一" of this one), the previous chapter's training characters as that page glued them
    scratch = glued(ROOT / "chapters" / "04-gru-scratch" / f"{code}.md")
    assert v["train_chars"] >= 24 * scratch["train_chars"]
    assert v["valid_documents"] >= 1 and v["test_documents"] >= 1
    assert 0 <= v["valid_unknown_percent"] < 5 and 0 <= v["test_unknown_percent"] < 5
    # "The two are equal to the last bit"
    assert v["one_hot_is_lookup"] is True
    # the baselines: "knowing the characters before helps a great deal"; the best n was chosen on
    # validation and "longer contexts do not help any more"
    assert v["ngram_test_perplexity"] < v["unigram_test_perplexity"] / 2
    assert v["unigram_test_perplexity"] < v["uniform_test_perplexity"] == v["vocab_size"]
    assert 1 < v["best_order"] <= v["max_order"]
    assert v["ngram_valid_perplexity"] <= v["longer_ngram_valid_perplexity"]
    # "the GRU {beats / roughly matches / falls short of} the best n-gram ... anything within
    # {tie_margin} a tie"; "the validation curve is {still falling / nearly flat}" (the last quarter
    # gained more than falling_gain)
    words = language_cell(CHAPTER / f"{code}.md")["words"]
    ratio, tie = v["test_perplexity"] / v["ngram_test_perplexity"], v["tie_margin"]
    assert 0 < tie < 1
    assert (
        v["gru_vs_ngram"] == words["beats" if ratio < 1 - tie else "trails" if ratio > 1 + tie else "matches"]
    )
    assert 0 < v["falling_gain"] < 1
    assert v["curve_trend"] == words["falling" if v["last_quarter_gain"] > v["falling_gain"] else "flat"]
    # the unit the page names: bits per character are log2 of the perplexity (not ln)
    assert v["test_bits"] == pytest.approx(math.log2(v["test_perplexity"]))
    assert v["test_perplexity"] < v["unigram_test_perplexity"]
    # "the validation perplexity ... times that"; "here the ratio stays below 2"
    assert 1 < v["best_valid_perplexity"] / v["best_train_perplexity"] < 2
    assert v["valid_train_ratio"] < 2
    # samples: "Here {the GRU's / the n-gram's} words are the more often real" (verse lines in
    # form, in Chinese); "Neither is reciting" (a phrase of a few words at most)
    assert v["form_leader"] == words["gru" if v["gru_form_percent"] > v["ngram_form_percent"] else "ngram"]
    assert v["gru_copied_chars"] < 30 and v["ngram_copied_chars"] < 30
    # "In float64 the two implementations agree to within ...: below 10^-9"
    assert v["largest_diff_64"] < 1e-9
    # "In float32 the differences are larger ... but all below 10^-3"
    for name in ("scores", "state", "gradients"):
        assert v[f"{name}_diff_64"] <= v["largest_diff_64"]
        assert v[f"{name}_diff_32"] < 1e-3
    # "float64 shrinks the differences by many orders of magnitude" (at least three)
    assert v["largest_diff_64"] * 1e3 < v["largest_diff_32"]
    # "This is not rounding": the reset-before state differs by far more than float32 rounding,
    # picks the same character "only" part of the time, and scores the text much worse; our loop
    # with reset after reaches the trained model's own validation score
    assert v["before_state_diff"] > 0.1
    assert v["before_state_diff"] > 1e3 * v["state_diff_32"]
    assert v["before_same_choice_percent"] < 90
    assert v["before_text_perplexity"] > 2 * v["after_text_perplexity"]
    assert v["after_text_perplexity"] == pytest.approx(v["layer_text_perplexity"], rel=1e-4)
    # "for training, forward and backward, nn.GRU ... is faster"; "Forward only ..., a factor of ..."
    assert v["train_speedup"] > 1
    assert v["forward_speedup"] > 1
    # d2l's GPU timings, "a factor of ..." as the cited edition gives it
    assert v["d2l_gpu_factor"] == pytest.approx(GPU_FACTOR_D2L, abs=0.05)
    # "On <device> the factor for training ... was {less than half of / at least half of} that GPU
    # factor", on whatever device ran the page
    shrinks = v["train_speedup"] < v["d2l_gpu_factor"] / 2
    assert v["gap_verdict"] == words["below_half" if shrinks else "above_half"]
    if v["device_name"].startswith("CPU"):
        # "On a CPU ... so the gap should shrink": the explanation's prediction for a CPU
        assert shrinks
        assert v["forward_speedup"] < v["d2l_gpu_factor"] / 2
    else:
        # "on a GPU ... a loop that issues a dozen small operations per time step spends most of its
        # time issuing them": cuDNN, which issues a few, is then more than twice as fast
        assert v["train_speedup"] > 2
    assert v["chapter_minutes"] > 0
