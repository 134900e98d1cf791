"""Chapter 07, making a GRU fast: its helpers count and size what they claim, and every statement the
prose draws from its measurements holds for the glued values of both twins."""

import string

import pytest
import torch
from built_book import LANGUAGE_SPECIFIC_TAG, LANGUAGES, ROOT, chapter_definitions, code_cells, glued
from torch import nn

import grubook
from grubook import bench

CHAPTER = ROOT / "chapters" / "07-fast-gru"
SCRATCH = ["loop", "fused_gates", "hoisted_inputs", "torchscript"]


@pytest.fixture(scope="module")
def chapter():
    return chapter_definitions(CHAPTER / "en.md", {"torch": torch, "nn": nn})


def language_strings(code: str) -> dict:
    """The names the twin's lang-specific cell defines (`words`, `plot_labels`, the corpus)."""
    namespace = {}
    for cell in code_cells(CHAPTER / f"{code}.md"):
        if LANGUAGE_SPECIFIC_TAG in cell.metadata.get("tags", []):
            exec(cell.source, namespace)
    return namespace


def test_recorded_operations_counts_the_nodes_of_the_graph(chapter):
    a, b, c = (torch.randn(3, requires_grad=True) for _ in range(3))
    assert chapter["recorded_operations"]((a * b + c).sum()) == 3  # mul, add, sum; leaves do not count
    shared = a * b
    # a node reached twice counts once
    assert chapter["recorded_operations"]((shared + shared.exp()).sum()) == 4


def test_min_gru_lm_parameters_is_the_models_count(chapter):
    for q, e, h, layers in [(64, 64, 317, 2), (3948, 64, 134, 2), (7, 3, 5, 1), (7, 4, 5, 3)]:
        model = grubook.RNNModel(bench.MinGRU(e, h, num_layers=layers), q, embedding=True)
        assert chapter["min_gru_lm_parameters"](h, q, e, layers) == chapter["count_parameters"](model)


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_the_lang_specific_cells_define_the_same_names():
    names = {code: language_strings(code) for code in LANGUAGES}
    for code, namespace in names.items():
        assert namespace["language"] == code
        assert set(namespace["words"]) == set(names["en"]["words"]), code
        assert set(namespace["plot_labels"]) == set(names["en"]["plot_labels"]), code
        assert set(namespace["printed"]) == set(names["en"]["printed"]), code
        for key, template in namespace["printed"].items():
            assert fields(template) == fields(names["en"]["printed"][key]), (code, key)


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_prose_claims_hold(code):
    values, strings = glued(CHAPTER / f"{code}.md"), language_strings(code)
    words, labels = strings["words"], strings["plot_labels"]
    on_cpu = values["device_name"].startswith("CPU")

    # "Every variant agrees with nn.GRU ... the size of float32 rounding": relative to the largest
    # entry, within a few dozen units of float32's machine epsilon (a wrong gate gives ~1e-2)
    assert values["max_variant_difference"] < 50 * torch.finfo(torch.float32).eps
    # "The plain loop records ... fusing the gates brings that to ..., and hoisting the input products to ..."
    assert values["ops_loop"] > values["ops_fused_gates"] > values["ops_hoisted_inputs"]
    # the counting exercise's solution lists the operations of one fused step: input product and
    # bias (2), state product and bias (2), two chunks (2), two sums and two sigmoids for R and Z
    # (4), R times the hidden part, the sum and the tanh (3), the update (4): "That is <ops>";
    # hoisting moves the input product and its bias out, "leaving <ops> per step" (the one-off
    # operations outside the loop add a fraction per step, which the page's rounding drops)
    by_hand = 2 + 2 + 2 + 4 + 3 + 4
    assert round(values["ops_fused_gates"]) == by_hand
    assert round(values["ops_hoisted_inputs"]) == by_hand - 2
    # "nn.GRU records ... per step on <device>: on a CPU that is its C++ loop, whose operations
    # autograd sees one by one; cuDNN would record one node for the whole layer"
    if on_cpu:
        assert values["ops_nn_GRU"] >= 1
    else:
        assert values["ops_nn_GRU"] < 1
    # "a GRU layer ... with <input_size> inputs, about the size of an English character vocabulary":
    # chapter 05's English character vocabulary, within a quarter
    english_vocabulary = glued(ROOT / "chapters" / "05-concise-gru" / "en.md")["vocab_size"]
    assert values["input_size"] == pytest.approx(english_vocabulary, rel=0.25)

    # "With d2l's sizes, <batch_size> sequences and <num_hiddens> hidden units": the sizes of d2l's
    # GPU timing that the page quotes (batch 32, 256 hidden units), not a result of this run
    assert (values["batch_size"], values["num_hiddens"]) == (32, 256)
    # the ratios to nn.GRU, and the fastest scratch variant named in the prose, at d2l's sizes
    # ("large": num_hiddens hidden units) and with far fewer hidden units ("small")
    assert values["small_hiddens"] < values["num_hiddens"]
    for size in ("large", "small"):
        ratios = {name: values[f"ratio_{name}_{size}"] for name in SCRATCH}
        best = max(ratios, key=ratios.get)
        assert values[f"best_name_{size}"] == labels[best]
    # "... therefore reaches / does not reach the goal ...: at least {throughput_goal} of nn.GRU's
    # throughput"
    assert 0 < values["throughput_goal"] <= 1
    half = values["best_ratio_large"] >= values["throughput_goal"]
    assert values["half_goal_met"] == half
    assert values["half_goal_verdict"] == words["reaches" if half else "misses"]
    # "On a CPU ... removing operations saves a small part of the time at most. With {small_hiddens}
    # hidden units ... the fixed prices weigh more": on a CPU the steps save less than a third of the
    # loop's time at d2l's sizes, and gain more over the loop with fewer hidden units. "A GPU is the
    # extreme case: ... nearly all that is left is the fixed price per operation": there the time
    # follows the number of operations, so the fastest variant gains at least half of what cutting
    # the loop's operations to the hoisted version's would give if only that number counted
    if on_cpu:
        assert values["best_over_loop_large"] < 1.5
        assert values["best_over_loop_small"] > values["best_over_loop_large"]
    else:
        fewer_operations = values["ops_loop"] / values["ops_hoisted_inputs"]
        assert values["best_over_loop_large"] > 1 + (fewer_operations - 1) / 2

    # "The scan and the loop agree ... in float64 ..., in float32 ... The float32 difference grows with
    # the length ...; it stays far below what training notices"
    assert values["scan_difference_float64"] < 1e-9
    assert values["seq_len_short"] < values["seq_len_medium"] < values["seq_len_long"]
    assert values["scan_difference_short"] < values["scan_difference_medium"] < values["scan_difference_long"]
    assert values["scan_difference_long"] < 1e-2
    # "... which meets / falls short of the goal of a {speedup_goal}-fold speed-up"
    tenfold = values["scan_speedup_medium"] >= values["speedup_goal"]
    assert values["tenfold_goal_met"] == tenfold
    assert values["tenfold_verdict"] == words["meets" if tenfold else "falls_short"]
    # "the paper's far larger factor [175 at 512 steps] was measured on a GPU": the page compares at
    # the paper's length
    assert values["seq_len_medium"] == 512
    assert values["scan_speedup_medium"] < 175 / 2
    # "so here the scan was faster / slower than minGRU's own loop"
    scan_wins = values["scan_speedup_medium"] > values["loop_speedup_medium"]
    assert values["scan_vs_loop_medium"] == words["faster" if scan_wins else "slower"]
    # "A minGRU also does less arithmetic than nn.GRU: with no hidden-to-hidden weights its layer has
    # ... parameters against nn.GRU's ...", the page's formulas 2(d+1)h and 3(d+h+2)h at the scan's
    # sizes
    d, h = values["scan_inputs"], values["scan_hiddens"]
    assert values["min_gru_layer_parameters"] == 2 * (d + 1) * h
    assert values["gru_layer_parameters"] == 3 * (d + h + 2) * h
    assert values["min_gru_layer_parameters"] < values["gru_layer_parameters"]

    # "the GRU of chapter 6 (nn.GRU with {gru_lm_hiddens} hidden units)", read through an embedding
    # of {embed_size} numbers as there
    chapter_6 = glued(ROOT / "chapters" / "06-gru-lstm-rnn" / f"{code}.md")
    assert values["gru_lm_hiddens"] == chapter_6["gru_hiddens"]
    assert values["embed_size"] == chapter_6["embed_size"]
    # "Both models have about the same number of parameters"
    difference = abs(values["min_gru_lm_parameters"] - values["gru_lm_parameters"])
    assert difference <= 0.01 * values["gru_lm_parameters"]
    # "the minGRU trained with the parallel scan / the loop, the faster form here"
    assert values["lm_form"] == words["scan" if values["lm_uses_scan"] else "loop"]
    # "The minGRU's best validation perplexity ... was lower / higher than the GRU's"
    lower = values["min_gru_best_perplexity"] < values["gru_best_perplexity"]
    assert values["lm_verdict"] == words["lower" if lower else "higher"]
    # "we compare the best point of each curve"
    assert values["gru_final_perplexity"] >= values["gru_best_perplexity"]
    assert values["min_gru_final_perplexity"] >= values["min_gru_best_perplexity"]
    # both learned something: better than spreading bets evenly over the vocabulary
    assert values["gru_best_perplexity"] < values["lm_vocab_size"]
    assert values["min_gru_best_perplexity"] < values["lm_vocab_size"]
    assert values["chapter_minutes"] > 0


def test_the_twins_train_on_their_own_corpus():
    assert language_strings("en")["corpus_name"] == "shakespeare"
    assert language_strings("zh")["corpus_name"] == "tang_poems"
    values = {code: glued(CHAPTER / f"{code}.md") for code in LANGUAGES}
    assert values["en"]["lm_vocab_size"] != values["zh"]["lm_vocab_size"]
    # the timings ran once and were shared: both twins quote the same measurement
    for name in ("ratio_loop_large", "scan_speedup_medium", "scan_difference_long", "ops_loop"):
        assert values["en"][name] == values["zh"][name]
