"""Chapter 06, GRU vs LSTM vs plain RNN: its parameter formula counts PyTorch's layers, and every
comparison its prose draws from the three trainings and the bidirectional GRU holds in both twins."""

import time

import pytest
import torch
from built_book import LANGUAGES, ROOT, chapter_definitions, glued, language_cell
from torch import nn

import grubook

CHAPTER = ROOT / "chapters" / "06-gru-lstm-rnn"
MODELS = ("rnn", "gru", "lstm")


@pytest.fixture(scope="module")
def chapter():
    return chapter_definitions(CHAPTER / "en.md", {"torch": torch, "nn": nn, "time": time})


@pytest.mark.parametrize("layer, num_blocks", [(nn.RNN, 1), (nn.GRU, 3), (nn.LSTM, 4)])
@pytest.mark.parametrize("num_inputs, num_hiddens", [(7, 5), (58, 256), (1302, 16)])
def test_the_parameter_formula_counts_pytorchs_layers(chapter, layer, num_blocks, num_inputs, num_hiddens):
    count = sum(p.numel() for p in layer(num_inputs, num_hiddens).parameters())
    assert count == chapter["recurrent_parameters"](num_blocks, num_inputs, num_hiddens)


def test_a_second_layer_reads_the_first_layers_state(chapter):
    deep = nn.GRU(11, 6, num_layers=2)
    formula = chapter["recurrent_parameters"]
    assert sum(p.numel() for p in deep.parameters()) == formula(3, 11, 6) + formula(3, 6, 6)


def test_model_parameters_counts_the_whole_model(chapter):
    for cell, num_blocks in (("rnn", 1), ("gru", 3), ("lstm", 4)):
        model = grubook.RNNModel(grubook.language_model.LAYERS[cell](5, 7), 11, embedding=True)
        assert sum(p.numel() for p in model.parameters()) == chapter["model_parameters"](num_blocks, 11, 5, 7)


def test_training_step_seconds_times_every_model_and_backpropagates(chapter):
    torch.manual_seed(0)
    models = {"RNN": grubook.RNNModel(nn.RNN(6, 4), 6), "GRU": grubook.RNNModel(nn.GRU(6, 4), 6)}
    X, Y = torch.randint(0, 6, (2, 3)), torch.randint(0, 6, (2, 3))
    best = chapter["training_step_seconds"](models, X, Y, torch.device("cpu"), repeats=2)
    assert set(best) == {"RNN", "GRU"} and all(s > 0 for s in best.values())
    assert all(p.grad is not None for model in models.values() for p in model.parameters())


def verdict(mean_a, spread_a, mean_b, spread_b):
    """The rule the prose states: a is better than b only if b's mean exceeds a's by more than
    either spread."""
    gap, noise = mean_b - mean_a, max(spread_a, spread_b)
    return "lower than" if gap > noise else "higher than" if -gap > noise else "within the spread of"


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_prose_claims_hold(code):
    v = glued(CHAPTER / f"{code}.md")
    q, e = v["vocab_size"], v["embed_size"]
    # "The corpus and its split are those of the previous chapter"; "Each network is trained exactly
    # as the GRU of the previous chapter: Adam, gradients clipped to a global norm of ...,
    # minibatches of ... streams of ... characters"
    chapter_5 = glued(ROOT / "chapters" / "05-concise-gru" / f"{code}.md")
    assert (v["train_chars"], q) == (chapter_5["train_chars"], chapter_5["vocab_size"])
    assert (v["clipping_theta"], v["batch_size"], v["train_steps"]) == (
        chapter_5["clipping_theta"],
        chapter_5["batch_size"],
        chapter_5["num_steps"],
    )

    # parameter counts: one, three, four blocks around an embedding and an output layer, and
    # "the number of hidden units that brings its total closest to the GRU's"
    def total(blocks, h):
        return q * e + blocks * (h * (e + h) + 2 * h) + h * q + q

    for name, blocks in zip(MODELS, (1, 3, 4)):
        h = v[f"{name}_hiddens"]
        assert v[f"{name}_params"] == total(blocks, h)
        gap = abs(total(blocks, h) - v["gru_params"])
        assert gap <= min(
            abs(total(blocks, h + 1) - v["gru_params"]), abs(total(blocks, h - 1) - v["gru_params"])
        )
    assert v["lstm_hiddens"] < v["gru_hiddens"] < v["rnn_hiddens"]
    # "Stacking {deep_layers} layers brings the recurrent parameters from ... to ...": every layer
    # after the first reads the h numbers of the one below
    h = v["gru_hiddens"]
    assert v["deep_layers"] >= 2 and 0 <= v["deep_dropout"] < 1
    assert v["deep_gru_params"] == v["one_layer_gru_params"] + (v["deep_layers"] - 1) * 3 * (
        h * (h + h) + 2 * h
    )
    # every comparative sentence follows the stated rule on the per-seed test perplexities
    stats = {}
    for name in MODELS:
        tests = v[f"{name}_tests"]
        assert len(tests) == v["num_seeds"] >= 3
        # the prose quotes "on average" and "spread between seeds": the mean and the range of the seeds
        stats[name] = (sum(tests) / len(tests), max(tests) - min(tests))
        assert (v[f"{name}_test_mean"], v[f"{name}_test_spread"]) == pytest.approx(stats[name])
    words = language_cell(CHAPTER / f"{code}.md")["words"]
    for a, b in (("gru", "rnn"), ("lstm", "rnn"), ("gru", "lstm")):
        assert v[f"{a}_vs_{b}"] == words[verdict(*stats[a], *stats[b])]
    assert v["final_leader"].lower() == min(MODELS, key=lambda name: stats[name][0])
    assert v["early_leader"] in ("RNN", "GRU", "LSTM")
    # bidirectional: training perplexity "below 2"; held-out in pieces "lower than that of any of
    # the honest networks above and of the n-gram"; one character at a time "worse than" uniform
    assert v["bi_train_perplexity"] < 2
    honest = [min(v[f"{name}_tests"]) for name in MODELS] + [v["ngram_test_perplexity"]]
    assert v["bi_chunked_perplexity"] < min(honest)
    assert v["bi_one_at_a_time_perplexity"] > q
    # "The left-to-right GRU ... gives the same number both ways (... to well within 0.1%)"
    assert abs(v["gru_one_at_a_time_perplexity"] / v["gru_in_pieces_perplexity"] - 1) < 1e-3
