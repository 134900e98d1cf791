"""Chapter 06, GRU vs LSTM vs plain RNN: its parameter formula counts PyTorch's layers, and every
comparison its prose draws from the three trainings and the bidirectional GRU holds in both twins."""

import time

import pytest
import torch
from built_book import LANGUAGES, ROOT, chapter_definitions, glued
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


def test_training_step_seconds_times_every_model_and_backpropagates(chapter):
    torch.manual_seed(0)
    models = {"RNN": grubook.RNNModel(nn.RNN(6, 4), 6), "GRU": grubook.RNNModel(nn.GRU(6, 4), 6)}
    X, Y = torch.randint(0, 6, (2, 3)), torch.randint(0, 6, (2, 3))
    best = chapter["training_step_seconds"](models, X, Y, torch.device("cpu"), repeats=2)
    assert set(best) == {"RNN", "GRU"} and all(0 < s < 10 for s in best.values())
    assert all(p.grad is not None for model in models.values() for p in model.parameters())


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_prose_claims_hold(code):
    v = glued(CHAPTER / f"{code}.md")
    h, q = v["num_hiddens"], v["vocab_size"]
    # parameter counts: one, three, four blocks, with the same output layer (h q + q)
    for name, blocks in zip(MODELS, (1, 3, 4)):
        assert v[f"{name}_params"] == blocks * (h * (q + h) + 2 * h) + h * q + q
    assert v["rnn_params"] < v["gru_params"] < v["lstm_params"]
    # "The second layer brings the recurrent parameters from ... to ..."
    assert v["deep_gru_params"] == v["one_layer_gru_params"] + 3 * (h * (h + h) + 2 * h)
    # "the gated networks fit the text more than twice as closely, in perplexity"
    for gated in ("gru", "lstm"):
        assert 2 * v[f"{gated}_train_perplexity"] < v["rnn_train_perplexity"]
    # "the plain RNN's best ... is worse than both and arrives later"
    for gated in ("gru", "lstm"):
        assert v["rnn_best_valid"] > v[f"{gated}_best_valid"]
        assert v["rnn_best_epoch"] > v[f"{gated}_best_epoch"]
    # "The GRU and the LSTM land within 10% of each other"
    assert abs(v["gru_best_valid"] - v["lstm_best_valid"]) <= 0.1 * min(v["gru_best_valid"], v["lstm_best_valid"])
    # "Both then overfit quickly: by the last epoch their validation perplexities have risen"
    for gated in ("gru", "lstm"):
        assert v[f"{gated}_last_valid"] > v[f"{gated}_best_valid"]
        assert v[f"{gated}_best_epoch"] < v["num_epochs"]
    # "A step of the plain RNN took ... The plain RNN is the cheapest" (timed in turns, fastest of five)
    assert v["rnn_step_ms"] < min(v["gru_step_ms"], v["lstm_step_ms"])
    assert all(v[f"{name}_seconds_per_epoch"] > 0 for name in MODELS)
    # bidirectional: training perplexity "below 2"; held-out in pieces "lower than the best of any of
    # the three honest networks"; one character at a time "worse than" the vocabulary size
    assert v["bi_train_perplexity"] < 2
    assert v["bi_chunked_perplexity"] < min(v[f"{name}_best_valid"] for name in MODELS)
    assert v["bi_one_at_a_time_perplexity"] > q
    # "The left-to-right GRU ... gives the same number both ways (... to well within 0.1%)"
    assert abs(v["gru_one_at_a_time_perplexity"] / v["gru_last_valid"] - 1) < 1e-3
    assert v["chapter_minutes"] > 0
