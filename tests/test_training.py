"""The d2l-zh v1 compatible training layer, on tiny synthetic corpora."""

import itertools
import math
import random
import re

import pytest
import torch
from torch import nn

from grubook import training
from grubook.training import (
    RNNModel,
    data_iter_consecutive,
    data_iter_random,
    evaluate_perplexity,
    evaluate_perplexity_pytorch,
    grad_clipping,
    predict_rnn,
    predict_rnn_pytorch,
    to_onehot,
    train_and_predict_rnn,
    train_and_predict_rnn_pytorch,
)

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
EPOCH_LINE = re.compile(r"epoch (\d+), perplexity (\d+\.\d{6}), time \d+\.\d{2} sec")


def periodic_corpus(period="abc", length=600):
    text = (period * (length // len(period) + 1))[:length]
    idx_to_char = sorted(set(text))
    char_to_idx = {c: i for i, c in enumerate(idx_to_char)}
    return [char_to_idx[c] for c in text], char_to_idx, idx_to_char, len(idx_to_char)


# A from-scratch GRU written the way the seed chapter writes it.
def make_gru(vocab_size, num_hiddens, device="cpu"):
    def get_params():
        def normal(*shape):
            return nn.Parameter(torch.randn(*shape, device=device) * 0.1)

        def three():
            return (
                normal(vocab_size, num_hiddens),
                normal(num_hiddens, num_hiddens),
                nn.Parameter(torch.zeros(num_hiddens, device=device)),
            )

        return nn.ParameterList(
            [
                *three(),
                *three(),
                *three(),
                normal(num_hiddens, vocab_size),
                nn.Parameter(torch.zeros(vocab_size, device=device)),
            ]
        )

    def init_gru_state(batch_size, num_hiddens, device):
        return (torch.zeros((batch_size, num_hiddens), device=device),)

    def gru(inputs, state, params):
        W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
        (H,) = state
        outputs = []
        for X in inputs:
            Z = torch.sigmoid(X @ W_xz + H @ W_hz + b_z)
            R = torch.sigmoid(X @ W_xr + H @ W_hr + b_r)
            H_tilda = torch.tanh(X @ W_xh + (R * H) @ W_hh + b_h)
            H = Z * H + (1 - Z) * H_tilda
            outputs.append(H @ W_hq + b_q)
        return outputs, (H,)

    return gru, get_params, init_gru_state


# --- Data iterators -------------------------------------------------------------------


def test_to_onehot():
    X = torch.tensor([[0, 2, 1], [1, 1, 0]])
    out = to_onehot(X, 4)
    assert len(out) == 3
    for t, step in enumerate(out):
        assert step.shape == (2, 4) and step.dtype == torch.float32
        assert step.argmax(dim=1).tolist() == X[:, t].tolist()
        assert step.sum().item() == 2


@pytest.mark.parametrize("device", DEVICES)
def test_random_iterator_shifts_and_covers_disjoint_subsequences(device):
    corpus = list(range(100))  # index == position, so values reveal where a batch came from
    batch_size, num_steps = 3, 7
    random.seed(0)
    batches = list(data_iter_random(corpus, batch_size, num_steps, device=device))
    assert len(batches) == (99 // num_steps) // batch_size
    starts = []
    for X, Y in batches:
        assert X.shape == Y.shape == (batch_size, num_steps)
        assert X.dtype == Y.dtype == torch.long and X.device.type == device
        assert torch.equal(Y, X + 1)
        assert torch.equal(X, X[:, :1] + torch.arange(num_steps, device=device))
        starts += X[:, 0].tolist()
    assert all(s % num_steps == 0 for s in starts)
    assert len(set(starts)) == len(starts)


def test_random_iterator_follows_the_global_seed():
    def first_columns(seed):
        random.seed(seed)
        return [X[:, 0].tolist() for X, _ in data_iter_random(list(range(400)), 4, 5)]

    assert first_columns(1) == first_columns(1)
    assert first_columns(1) != first_columns(2)


@pytest.mark.parametrize("device", DEVICES)
def test_consecutive_batches_continue_each_other(device):
    corpus = list(range(100))
    batch_size, num_steps = 3, 5
    batches = list(data_iter_consecutive(corpus, batch_size, num_steps, device=device))
    assert len(batches) == (99 // batch_size) // num_steps
    for X, Y in batches:
        assert X.shape == Y.shape == (batch_size, num_steps)
        assert X.dtype == torch.long and X.device.type == device
        assert torch.equal(Y, X + 1)
        assert torch.equal(X, X[:, :1] + torch.arange(num_steps, device=device))
    for (X0, _), (X1, _) in itertools.pairwise(batches):
        assert torch.equal(X1[:, 0], X0[:, -1] + 1)
    rows = torch.cat([X for X, _ in batches], dim=1)
    assert len(set(rows.flatten().tolist())) == rows.numel()  # rows never overlap


@pytest.mark.parametrize("iterator", [data_iter_random, data_iter_consecutive])
def test_iterators_need_batch_size_times_num_steps_plus_one(iterator):
    assert len(list(iterator(list(range(13)), 3, 4))) == 1
    with pytest.raises(ValueError) as excinfo:
        iterator(list(range(12)), 3, 4)  # raised at the call, before iteration
    message = str(excinfo.value)
    assert "12" in message and "13" in message and "lower batch_size or num_steps" in message


# --- Gradient clipping ----------------------------------------------------------------


def params_with_grads(*grads):
    params = []
    for g in grads:
        p = nn.Parameter(torch.zeros(len(g)))
        p.grad = torch.tensor(g, dtype=torch.float32)
        params.append(p)
    return params


def global_norm(params):
    return math.sqrt(sum((p.grad**2).sum().item() for p in params))


def test_grad_clipping_scales_large_gradients_to_theta():
    params = params_with_grads([3.0, 0.0], [4.0])  # global norm 5
    grad_clipping(iter(params), 1.0, "cpu")  # a generator, as the seed passes model.parameters()
    assert global_norm(params) <= 1.0 + 1e-6
    assert global_norm(params) == pytest.approx(1.0)
    assert params[0].grad.tolist() == pytest.approx([0.6, 0.0])
    assert params[1].grad.tolist() == pytest.approx([0.8])


def test_grad_clipping_leaves_small_gradients_alone():
    params = params_with_grads([0.3, -0.1], [0.2])
    before = [p.grad.clone() for p in params]
    grad_clipping(params, 1.0, "cpu")
    assert all(torch.equal(p.grad, b) for p, b in zip(params, before))


# --- From-scratch training -----------------------------------------------------------


# After "a", "aabc" continues with "a" or "b": only a model that carries its state learns it.
@pytest.mark.parametrize("period", ["abc", "aabc"])
@pytest.mark.parametrize("is_random_iter", [False, True])
def test_scratch_gru_learns_a_periodic_string(is_random_iter, period, capsys):
    torch.manual_seed(0)
    random.seed(0)
    corpus_indices, char_to_idx, idx_to_char, vocab_size = periodic_corpus(period)
    gru, get_params, init_state = make_gru(vocab_size, 16)
    held_out, *_ = periodic_corpus(period, length=60)
    untrained = evaluate_perplexity(held_out, gru, get_params(), init_state, 16, vocab_size, "cpu")
    assert untrained > 2.5  # about vocab_size = 3 before training

    history = train_and_predict_rnn(
        gru,
        get_params,
        init_state,
        16,
        vocab_size,
        "cpu",
        corpus_indices,
        idx_to_char,
        char_to_idx,
        is_random_iter,
        num_epochs=10,
        num_steps=8,
        lr=1e2,
        clipping_theta=1e-2,
        batch_size=4,
        pred_period=5,
        pred_len=6,
        prefixes=[period[:2], "c"],
    )
    assert history["epoch"] == list(range(1, 11))
    assert len(history["perplexity"]) == len(history["seconds"]) == 10
    assert history["perplexity"][-1] < 1.5

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6
    assert [EPOCH_LINE.fullmatch(lines[i]).group(1) for i in (0, 3)] == ["5", "10"]
    assert float(EPOCH_LINE.fullmatch(lines[3]).group(2)) == pytest.approx(
        history["perplexity"][-1], rel=1e-5
    )
    assert lines[1].startswith(" - " + period[:2]) and len(lines[1]) == len(" - ab") + 6
    assert lines[2].startswith(" - c") and len(lines[2]) == len(" - c") + 6

    params = history["params"]
    assert (
        predict_rnn(period[:2], 7, gru, params, init_state, 16, vocab_size, "cpu", idx_to_char, char_to_idx)
        == (period * 9)[:9]
    )
    assert evaluate_perplexity(held_out, gru, params, init_state, 16, vocab_size, "cpu") < 1.5


def test_training_records_validation_perplexity_each_epoch():
    torch.manual_seed(0)
    corpus_indices, char_to_idx, idx_to_char, vocab_size = periodic_corpus("aabc")
    held_out, *_ = periodic_corpus("aabc", length=60)
    gru, get_params, init_state = make_gru(vocab_size, 16)
    history = train_and_predict_rnn(
        gru,
        get_params,
        init_state,
        16,
        vocab_size,
        "cpu",
        corpus_indices,
        idx_to_char,
        char_to_idx,
        False,
        num_epochs=6,
        num_steps=8,
        lr=1e2,
        clipping_theta=1e-2,
        batch_size=4,
        pred_period=6,
        pred_len=1,
        prefixes=["a"],
        valid_indices=held_out,
    )
    assert len(history["valid_perplexity"]) == 6
    assert history["valid_perplexity"][-1] == pytest.approx(
        evaluate_perplexity(held_out, gru, history["params"], init_state, 16, vocab_size, "cpu", 8)
    )
    assert history["valid_perplexity"][-1] < history["valid_perplexity"][0]


def test_scratch_evaluate_perplexity_is_vocab_size_for_uniform_outputs():
    torch.manual_seed(0)
    gru, get_params, init_state = make_gru(5, 8)
    params = get_params()
    with torch.no_grad():
        params[-2].zero_()  # W_hq
        params[-1].zero_()  # b_q
    indices = [random.randrange(5) for _ in range(50)]
    ppl = evaluate_perplexity(indices, gru, params, init_state, 8, 5, "cpu", num_steps=7)
    assert ppl == pytest.approx(5.0, rel=1e-5)


def test_predict_rnn_rejects_bad_prefixes():
    _, char_to_idx, idx_to_char, vocab_size = periodic_corpus()
    gru, get_params, init_state = make_gru(vocab_size, 4)
    args = (3, gru, get_params(), init_state, 4, vocab_size, "cpu", idx_to_char, char_to_idx)
    with pytest.raises(ValueError, match="non-empty"):
        predict_rnn("", *args)
    with pytest.raises(ValueError, match="training text") as excinfo:
        predict_rnn("abz", *args)
    assert "'z'" in str(excinfo.value)


def test_training_validates_before_it_starts():
    corpus_indices, char_to_idx, idx_to_char, vocab_size = periodic_corpus(length=100)
    gru, get_params, init_state = make_gru(vocab_size, 4)
    calls = []

    def counting_get_params():
        calls.append(1)
        return get_params()

    def train(**overrides):
        kwargs = {
            "num_epochs": 1,
            "num_steps": 5,
            "lr": 1.0,
            "clipping_theta": 1.0,
            "batch_size": 2,
            "pred_period": 1,
            "pred_len": 3,
            "prefixes": ["ab"],
        }
        kwargs.update(overrides)
        train_and_predict_rnn(
            gru,
            counting_get_params,
            init_state,
            4,
            vocab_size,
            "cpu",
            corpus_indices,
            idx_to_char,
            char_to_idx,
            False,
            **kwargs,
        )

    with pytest.raises(ValueError, match=r"100.*batch_size \* num_steps \+ 1.*201"):
        train(num_steps=50, batch_size=4)
    with pytest.raises(ValueError, match="'x'"):
        train(prefixes=["ab", "x"])
    with pytest.raises(ValueError, match="non-empty"):
        train(prefixes=[""])
    with pytest.raises(TypeError, match="list"):
        train(prefixes="ab")
    for lr in (0, -0.5, float("nan")):
        with pytest.raises(ValueError, match="lr must be a number above 0"):
            train(lr=lr)
    with pytest.raises(ValueError, match="reverses every step"):
        train(clipping_theta=-1.0)
    with pytest.raises(ValueError, match="clipping_theta must be a number above 0"):
        train(clipping_theta=float("nan"))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got True"):
        train(batch_size=True)
    with pytest.raises(ValueError, match="held-out indices.*num_valid_chars"):
        train(valid_indices=[1, 2])
    with pytest.raises(ValueError, match="training vocabulary"):
        train(valid_indices=[vocab_size] * 40)
    with pytest.raises(ValueError, match="fields epoch, perplexity and seconds"):
        train(report="epoch {epoch}, loss {loss}")
    assert calls == []  # every bad argument was refused before the parameters were made


# --- nn.Module training ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("device", "period"), [("cpu", "abc"), ("cpu", "aabc")] + [(d, "aabc") for d in DEVICES if d != "cpu"]
)
def test_rnn_model_with_gru_learns_a_periodic_string(device, period, capsys):
    torch.manual_seed(0)
    corpus_indices, char_to_idx, idx_to_char, vocab_size = periodic_corpus(period)
    model = RNNModel(nn.GRU(input_size=vocab_size, hidden_size=16), vocab_size)
    history = train_and_predict_rnn_pytorch(
        model,
        16,
        vocab_size,
        device,
        corpus_indices,
        idx_to_char,
        char_to_idx,
        num_epochs=8,
        num_steps=8,
        lr=1e-2,
        clipping_theta=1.0,
        batch_size=4,
        pred_period=4,
        pred_len=5,
        prefixes=["b"],
        report="第 {epoch} 个迭代周期，困惑度 {perplexity:.3f}",  # a page's own words
    )
    assert history["perplexity"][-1] < 1.5
    lines = capsys.readouterr().out.splitlines()
    assert lines[::2] == [f"第 {e} 个迭代周期，困惑度 {history['perplexity'][e - 1]:.3f}" for e in (4, 8)]
    assert all(line.startswith(" - b") for line in lines[1::2])
    prefix = period[-1] + period[0]
    expected = (period[-1] + period * 3)[:9]
    assert predict_rnn_pytorch(prefix, 7, model, vocab_size, device, idx_to_char, char_to_idx) == expected

    # Held-out perplexity: low, and the same however the stream is chunked.
    held_out, *_ = periodic_corpus(period, length=50)
    short = evaluate_perplexity_pytorch(held_out, model, vocab_size, device, num_steps=7)
    whole = evaluate_perplexity_pytorch(held_out, model, vocab_size, device, num_steps=1000)
    assert short < 1.5
    assert short == pytest.approx(whole, rel=1e-4)


@pytest.mark.parametrize("layer", [nn.RNN, nn.GRU, nn.LSTM])
def test_rnn_model_shapes_and_state(layer):
    model = RNNModel(layer(input_size=6, hidden_size=5), 6)
    X = torch.randint(0, 6, (3, 4))  # (batch, num_steps)
    output, state = model(X, None)
    assert output.shape == (4 * 3, 6)
    h = state[0] if layer is nn.LSTM else state
    assert h.shape == (1, 3, 5)
    output2, _ = model(X, state)
    assert not torch.allclose(output, output2)  # the state is used
    # Row t * batch + b of the output belongs to step t of sequence b.
    output_b1, _ = model(X[1:2, :2], None)
    assert torch.allclose(output_b1, output.view(4, 3, 6)[:2, 1], atol=1e-6)


def test_rnn_model_with_lstm_trains():
    torch.manual_seed(0)
    corpus_indices, char_to_idx, idx_to_char, vocab_size = periodic_corpus(length=200)
    model = RNNModel(nn.LSTM(input_size=vocab_size, hidden_size=8), vocab_size)
    history = train_and_predict_rnn_pytorch(
        model,
        8,
        vocab_size,
        "cpu",
        corpus_indices,
        idx_to_char,
        char_to_idx,
        num_epochs=3,
        num_steps=6,
        lr=1e-2,
        clipping_theta=1.0,
        batch_size=4,
        pred_period=3,
        pred_len=2,
        prefixes=["a"],
    )
    assert history["perplexity"][-1] < history["perplexity"][0]


def test_pytorch_evaluate_perplexity_is_vocab_size_for_uniform_outputs():
    model = RNNModel(nn.GRU(input_size=7, hidden_size=4), 7)
    with torch.no_grad():
        model.dense.weight.zero_()
        model.dense.bias.zero_()
    indices = [random.randrange(7) for _ in range(40)]
    assert evaluate_perplexity_pytorch(indices, model, 7, "cpu") == pytest.approx(7.0, rel=1e-5)
    with pytest.raises(ValueError, match="at least 9 held-out indices"):
        evaluate_perplexity_pytorch([3], model, 7, "cpu")
    with pytest.raises(ValueError, match="num_streams must be an integer >= 1, got 0"):
        evaluate_perplexity_pytorch(indices, model, 7, "cpu", num_streams=0)
    with pytest.raises(ValueError, match="num_chars must be an integer >= 0, got -3"):
        predict_rnn_pytorch(
            "a", -3, model, 7, "cpu", list("abcdefg"), {c: i for i, c in enumerate("abcdefg")}
        )
    model.dense.weight.grad = torch.ones_like(model.dense.weight)
    with pytest.raises(ValueError, match="reverses every step"):
        grad_clipping(model.parameters(), -1.0)
    assert grad_clipping(model.parameters(), math.inf) > 0  # infinity: measure, never clip


def test_rnn_model_rejects_mismatched_layers():
    with pytest.raises(ValueError, match="batch_first"):
        RNNModel(nn.GRU(4, 3, batch_first=True), 4)
    with pytest.raises(ValueError, match="vocab_size=5"):
        RNNModel(nn.GRU(4, 3), 5)


def test_public_names_are_reexported():
    import grubook

    for name in training.__all__:
        assert getattr(grubook, name) is getattr(training, name)
        assert name in grubook.__all__


def test_an_embedding_model_is_a_one_hot_model_with_folded_weights():
    """RNNModel(embedding=True) computes what the one-hot RNNModel computes when the layer's input
    weights are the embedding matrix times the embedding model's input weights."""
    torch.manual_seed(0)
    vocab_size, embed_size, hiddens = 9, 4, 6
    embedded = RNNModel(nn.GRU(embed_size, hiddens), vocab_size, embedding=True).double()
    one_hot = RNNModel(nn.GRU(vocab_size, hiddens), vocab_size).double()
    with torch.no_grad():
        one_hot.rnn.weight_ih_l0.copy_(embedded.rnn.weight_ih_l0 @ embedded.embedding.weight.T)
        for name in ("weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(one_hot.rnn, name).copy_(getattr(embedded.rnn, name))
        one_hot.dense.load_state_dict(embedded.dense.state_dict())
    X = torch.randint(vocab_size, (3, 5))
    (a, state_a), (b, state_b) = embedded(X), one_hot(X)
    assert torch.allclose(a, b, atol=1e-12) and torch.allclose(state_a, state_b, atol=1e-12)


def test_a_one_hot_model_says_how_to_use_an_embedding():
    with pytest.raises(ValueError, match="embedding=True"):
        RNNModel(nn.GRU(4, 6), 9)
