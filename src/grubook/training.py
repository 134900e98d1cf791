"""A d2l-zh v1 (PyTorch port) compatible training layer for character-level RNNs.

Code written for chapter 6.7 of *Dive into Deep Learning* (Chinese, first
edition, PyTorch port) runs unchanged apart from its import and data loader:
the names and argument orders below follow that chapter. Differences that only
remove bugs or add checks: inputs are validated before training starts,
``grad_clipping`` also accepts a generator of parameters, the training
functions return a history dict, and the ``nn.Module`` trainer starts each
epoch from a fresh state.
"""

from __future__ import annotations

import math
import numbers
import random
import time
from collections.abc import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "RNNModel",
    "data_iter_consecutive",
    "data_iter_random",
    "evaluate_perplexity",
    "evaluate_perplexity_pytorch",
    "grad_clipping",
    "predict_rnn",
    "predict_rnn_pytorch",
    "to_onehot",
    "train_and_predict_rnn",
    "train_and_predict_rnn_pytorch",
]

Batch = tuple[torch.Tensor, torch.Tensor]


# --- Data ----------------------------------------------------------------------


def to_onehot(X: torch.Tensor, n_class: int) -> list[torch.Tensor]:
    """(batch, num_steps) indices -> list of num_steps float tensors (batch, n_class)."""
    return list(F.one_hot(X.long().t(), n_class).float().unbind(0))


def _as_long_tensor(corpus_indices) -> torch.Tensor:
    return torch.as_tensor(corpus_indices, dtype=torch.long).flatten().cpu()


def _check_integer(name: str, value, low: int) -> None:
    """An int (not a bool, not a float such as 1e4) of at least ``low``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        hint = (
            f" (write {int(value):_} for {value!r})"
            if isinstance(value, float) and value.is_integer()
            else ""
        )
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}{hint}")


def _check_positive(name: str, value) -> None:
    """A real number above 0 (infinity allowed: no clipping), not NaN."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(
            f"{name} must be a number above 0, got {value!r}"
            + (
                "; a negative clipping threshold reverses every step"
                if name == "clipping_theta" and isinstance(value, numbers.Real) and value < 0
                else ""
            )
        )


def _check_batch_shape(corpus_len: int, batch_size: int, num_steps: int) -> None:
    for name, value in (("batch_size", batch_size), ("num_steps", num_steps)):
        _check_integer(name, value, 1)
    needed = batch_size * num_steps + 1
    if corpus_len < needed:
        raise ValueError(
            f"the corpus has {corpus_len:,} characters, but one batch needs "
            f"batch_size * num_steps + 1 = {batch_size} * {num_steps} + 1 = {needed:,}; "
            "lower batch_size or num_steps (or load more characters)"
        )


def data_iter_random(corpus_indices, batch_size: int, num_steps: int, device=None) -> Iterator[Batch]:
    """Random sampling: shuffled, non-overlapping subsequences; Y is X shifted by one.

    Shuffles with Python's ``random`` module, so ``random.seed`` fixes the order.
    """
    corpus = _as_long_tensor(corpus_indices)
    _check_batch_shape(len(corpus), batch_size, num_steps)
    starts = list(range(0, (len(corpus) - 1) // num_steps * num_steps, num_steps))
    random.shuffle(starts)
    num_batches = len(starts) // batch_size

    def batches() -> Iterator[Batch]:
        offsets = torch.arange(num_steps)
        for b in range(num_batches):
            rows = torch.tensor(starts[b * batch_size : (b + 1) * batch_size]).unsqueeze(1) + offsets
            yield corpus[rows].to(device), corpus[rows + 1].to(device)

    return batches()


def data_iter_consecutive(corpus_indices, batch_size: int, num_steps: int, device=None) -> Iterator[Batch]:
    """Consecutive sampling: row i of each batch continues row i of the previous batch."""
    corpus = _as_long_tensor(corpus_indices)
    _check_batch_shape(len(corpus), batch_size, num_steps)
    row_len = (len(corpus) - 1) // batch_size
    Xs = corpus[: batch_size * row_len].view(batch_size, row_len).to(device)
    Ys = corpus[1 : batch_size * row_len + 1].view(batch_size, row_len).to(device)

    def batches() -> Iterator[Batch]:
        for i in range(0, row_len // num_steps * num_steps, num_steps):
            yield Xs[:, i : i + num_steps], Ys[:, i : i + num_steps]

    return batches()


# --- Optimisation helpers -------------------------------------------------------


def grad_clipping(params, theta: float, device=None) -> float:
    """Rescale all gradients together so their global L2 norm is at most ``theta``.

    Returns the norm before clipping. ``device`` is accepted for compatibility.
    """
    _check_positive("clipping_theta", theta)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])).item()
    if norm > theta:
        for g in grads:
            g.mul_(theta / norm)
    return norm


def _detach(state):
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return type(state)(_detach(s) for s in state)


def _perplexity(total_loss: float, count: int) -> float:
    try:
        return math.exp(total_loss / count)
    except OverflowError:
        return math.inf


def _time_major_targets(Y: torch.Tensor) -> torch.Tensor:
    """(batch, num_steps) -> (num_steps * batch,), matching concatenated outputs."""
    return Y.t().reshape(-1)


# --- Validation -----------------------------------------------------------------


def _check_prefix(prefix: str, char_to_idx: dict) -> None:
    if not isinstance(prefix, str) or not prefix:
        raise ValueError(f"prefix must be a non-empty string, got {prefix!r}")
    for char in prefix:
        if char not in char_to_idx:
            raise ValueError(
                f"prefix {prefix!r} contains {char!r}, which is not in the vocabulary; "
                "the vocabulary comes from the training text, so pick a prefix made of "
                "characters that occur in it"
            )


def _check_training_inputs(
    vocab_size,
    corpus_indices,
    idx_to_char,
    char_to_idx,
    num_epochs,
    num_steps,
    batch_size,
    pred_period,
    pred_len,
    prefixes,
    lr,
    clipping_theta,
    valid_indices,
) -> None:
    """Every argument a training run needs, checked before the first epoch starts."""
    _check_positive("lr", lr)
    _check_positive("clipping_theta", clipping_theta)
    if valid_indices is not None:
        _check_held_out(valid_indices, vocab_size, HELD_OUT_STREAMS)
    if isinstance(prefixes, str):
        raise TypeError(f"prefixes must be a list of strings, e.g. [{prefixes!r}], not a string")
    for prefix in prefixes:
        _check_prefix(prefix, char_to_idx)
    if len(idx_to_char) != vocab_size:
        raise ValueError(f"vocab_size is {vocab_size} but idx_to_char has {len(idx_to_char)} entries")
    corpus_len = len(corpus_indices)
    _check_batch_shape(corpus_len, batch_size, num_steps)
    corpus = _as_long_tensor(corpus_indices)
    if corpus.max().item() >= vocab_size or corpus.min().item() < 0:
        raise ValueError(f"corpus_indices must lie in [0, vocab_size={vocab_size})")
    for name, value, low in (
        ("num_epochs", num_epochs, 0),
        ("pred_period", pred_period, 1),
        ("pred_len", pred_len, 0),
    ):
        _check_integer(name, value, low)


# What the trainers print every ``pred_period`` epochs (the seed's words); a page in another
# language passes its own with ``report=``, filling the same fields.
EPOCH_REPORT = "epoch {epoch}, perplexity {perplexity:f}, time {seconds:.2f} sec"


def _check_report(report: str) -> None:
    try:
        report.format(epoch=1, perplexity=1.0, seconds=1.0)
    except (AttributeError, IndexError, KeyError, ValueError) as error:
        raise ValueError(
            f"report must be a format string with the fields epoch, perplexity and seconds, like "
            f"{EPOCH_REPORT!r}; {report!r} fails: {error!r}"
        ) from None


def _report(
    epoch: int,
    perplexity: float,
    seconds: float,
    predictions: Callable[[str], str],
    prefixes,
    report: str,
) -> None:
    print(report.format(epoch=epoch, perplexity=perplexity, seconds=seconds))
    for prefix in prefixes:
        print(" - " + predictions(prefix))


def _end_epoch(
    history: dict,
    epoch: int,
    perplexity: float,
    seconds: float,
    valid_perplexity: Callable[[], float | None],
    sample: Callable[[str], str],
    prefixes,
    pred_period: int,
    report: str,
) -> None:
    """Record one epoch (and the held-out perplexity, when there is held-out text); report it
    every ``pred_period`` epochs."""
    history["epoch"].append(epoch)
    history["perplexity"].append(perplexity)
    history["seconds"].append(seconds)
    valid = valid_perplexity()
    if valid is not None:
        history["valid_perplexity"].append(valid)
    if epoch % pred_period == 0:
        _report(epoch, perplexity, seconds, sample, prefixes, report)


# --- From-scratch models: rnn(inputs, state, params) ------------------------------


def predict_rnn(
    prefix, num_chars, rnn, params, init_rnn_state, num_hiddens, vocab_size, device, idx_to_char, char_to_idx
) -> str:
    """Greedy generation: ``prefix`` followed by ``num_chars`` argmax characters."""
    _check_prefix(prefix, char_to_idx)
    _check_integer("num_chars", num_chars, 0)
    output = [char_to_idx[prefix[0]]]
    with torch.no_grad():
        state = init_rnn_state(1, num_hiddens, device)
        for t in range(len(prefix) - 1 + num_chars):
            X = to_onehot(torch.tensor([[output[-1]]], device=device), vocab_size)
            Y, state = rnn(X, state, params)
            if t < len(prefix) - 1:
                output.append(char_to_idx[prefix[t + 1]])
            else:
                output.append(int(Y[0].argmax(dim=1).item()))
    return "".join(idx_to_char[i] for i in output)


def train_and_predict_rnn(
    rnn,
    get_params,
    init_rnn_state,
    num_hiddens,
    vocab_size,
    device,
    corpus_indices,
    idx_to_char,
    char_to_idx,
    is_random_iter,
    num_epochs,
    num_steps,
    lr,
    clipping_theta,
    batch_size,
    pred_period,
    pred_len,
    prefixes,
    valid_indices=None,
    report: str = EPOCH_REPORT,
) -> dict:
    """Train a from-scratch RNN with SGD; print perplexity and samples every ``pred_period`` epochs.

    Returns ``{"epoch", "perplexity", "seconds"}`` lists (one entry per epoch)
    and the trained ``"params"``. With ``valid_indices`` (held-out text, not in the seed's API),
    also ``"valid_perplexity"`` after each epoch, not counted in ``"seconds"``. ``report`` (not
    in the seed's API either) is the epoch line, in the page's language.
    """
    _check_training_inputs(
        vocab_size,
        corpus_indices,
        idx_to_char,
        char_to_idx,
        num_epochs,
        num_steps,
        batch_size,
        pred_period,
        pred_len,
        prefixes,
        lr,
        clipping_theta,
        valid_indices,
    )
    _check_report(report)
    data_iter_fn = data_iter_random if is_random_iter else data_iter_consecutive
    params = get_params()
    history = {"epoch": [], "perplexity": [], "seconds": [], "params": params}
    if valid_indices is not None:
        history["valid_perplexity"] = []

    def sample(prefix: str) -> str:
        return predict_rnn(
            prefix,
            pred_len,
            rnn,
            params,
            init_rnn_state,
            num_hiddens,
            vocab_size,
            device,
            idx_to_char,
            char_to_idx,
        )

    def valid_perplexity() -> float | None:
        if valid_indices is None:
            return None
        return evaluate_perplexity(
            valid_indices, rnn, params, init_rnn_state, num_hiddens, vocab_size, device, num_steps
        )

    for epoch in range(1, num_epochs + 1):
        start, loss_sum, count = time.time(), 0.0, 0
        state = None
        for X, Y in data_iter_fn(corpus_indices, batch_size, num_steps, device):
            if is_random_iter or state is None:  # random batches are unrelated: fresh state
                state = init_rnn_state(batch_size, num_hiddens, device)
            else:  # consecutive: keep the values, cut the graph at the batch boundary
                state = _detach(state)
            outputs, state = rnn(to_onehot(X, vocab_size), state, params)
            y = _time_major_targets(Y)
            loss = F.cross_entropy(torch.cat(outputs, dim=0), y)
            for p in params:
                p.grad = None
            loss.backward()
            grad_clipping(params, clipping_theta, device)
            with torch.no_grad():
                for p in params:  # the seed's sgd(params, lr, batch_size=1): loss is already a mean
                    p -= lr * p.grad
            loss_sum += loss.item() * y.numel()
            count += y.numel()
        _end_epoch(
            history,
            epoch,
            _perplexity(loss_sum, count),
            time.time() - start,
            valid_perplexity,
            sample,
            prefixes,
            pred_period,
            report,
        )
    return history


# --- nn.Module models -------------------------------------------------------------


class RNNModel(nn.Module):
    """Characters -> ``rnn_layer`` (nn.RNN, nn.GRU or nn.LSTM; time-major) -> linear output.

    The characters enter as one-hot vectors (the seed's model) or, with ``embedding=True``, as rows
    of an ``nn.Embedding`` with ``rnn_layer.input_size`` columns: the same product, looked up.
    """

    def __init__(self, rnn_layer: nn.RNNBase, vocab_size: int, embedding: bool = False):
        super().__init__()
        if rnn_layer.batch_first:
            raise ValueError(
                "RNNModel feeds (num_steps, batch, inputs) tensors: create the layer with batch_first=False"
            )
        if not embedding and rnn_layer.input_size != vocab_size:
            raise ValueError(
                f"the layer's input_size is {rnn_layer.input_size}, but the one-hot "
                f"inputs have vocab_size={vocab_size} features (or pass embedding=True)"
            )
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, rnn_layer.input_size) if embedding else None
        out_size = getattr(rnn_layer, "proj_size", 0) or rnn_layer.hidden_size
        self.hidden_size = out_size * (2 if rnn_layer.bidirectional else 1)
        self.dense = nn.Linear(self.hidden_size, vocab_size)

    def forward(self, inputs: torch.Tensor, state=None):
        """inputs (batch, num_steps) -> (logits (num_steps * batch, vocab_size), new state)."""
        if self.embedding is None:
            X = F.one_hot(inputs.long().t(), self.vocab_size).to(self.dense.weight.dtype)
        else:
            X = self.embedding(inputs.long().t())
        Y, state = self.rnn(X, state)
        return self.dense(Y.reshape(-1, Y.shape[-1])), state


def predict_rnn_pytorch(prefix, num_chars, model, vocab_size, device, idx_to_char, char_to_idx) -> str:
    """Greedy generation with an ``RNNModel``: ``prefix`` + ``num_chars`` characters."""
    _check_prefix(prefix, char_to_idx)
    _check_integer("num_chars", num_chars, 0)
    output = [char_to_idx[prefix[0]]]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            state = None
            for t in range(len(prefix) - 1 + num_chars):
                Y, state = model(torch.tensor([[output[-1]]], device=device), state)
                if t < len(prefix) - 1:
                    output.append(char_to_idx[prefix[t + 1]])
                else:
                    output.append(int(Y.argmax(dim=1).item()))
    finally:
        model.train(was_training)
    return "".join(idx_to_char[i] for i in output)


def train_and_predict_rnn_pytorch(
    model,
    num_hiddens,
    vocab_size,
    device,
    corpus_indices,
    idx_to_char,
    char_to_idx,
    num_epochs,
    num_steps,
    lr,
    clipping_theta,
    batch_size,
    pred_period,
    pred_len,
    prefixes,
    valid_indices=None,
    report: str = EPOCH_REPORT,
) -> dict:
    """Train an ``RNNModel`` with Adam and consecutive sampling; print like ``train_and_predict_rnn``.

    Returns ``{"epoch", "perplexity", "seconds"}`` lists; ``model`` is trained in place. With
    ``valid_indices``, also ``"valid_perplexity"`` after each epoch, and ``report``, as in
    ``train_and_predict_rnn``.
    """
    _check_training_inputs(
        vocab_size,
        corpus_indices,
        idx_to_char,
        char_to_idx,
        num_epochs,
        num_steps,
        batch_size,
        pred_period,
        pred_len,
        prefixes,
        lr,
        clipping_theta,
        valid_indices,
    )
    _check_report(report)
    model.to(device)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"epoch": [], "perplexity": [], "seconds": []}
    if valid_indices is not None:
        history["valid_perplexity"] = []

    def sample(prefix: str) -> str:
        return predict_rnn_pytorch(prefix, pred_len, model, vocab_size, device, idx_to_char, char_to_idx)

    def valid_perplexity() -> float | None:
        if valid_indices is None:
            return None
        return evaluate_perplexity_pytorch(valid_indices, model, vocab_size, device, num_steps)

    for epoch in range(1, num_epochs + 1):
        start, loss_sum, count = time.time(), 0.0, 0
        state = None
        for X, Y in data_iter_consecutive(corpus_indices, batch_size, num_steps, device):
            output, state = model(X, _detach(state))
            y = _time_major_targets(Y)
            loss = F.cross_entropy(output, y)
            optimizer.zero_grad()
            loss.backward()
            grad_clipping(model.parameters(), clipping_theta, device)
            optimizer.step()
            loss_sum += loss.item() * y.numel()
            count += y.numel()
        _end_epoch(
            history,
            epoch,
            _perplexity(loss_sum, count),
            time.time() - start,
            valid_perplexity,
            sample,
            prefixes,
            pred_period,
            report,
        )
    return history


# --- Held-out perplexity ------------------------------------------------------------

HELD_OUT_STREAMS = 8  # rows read side by side when the trainers score held-out text


def _check_held_out(indices, vocab_size: int, num_streams: int) -> torch.Tensor:
    """Held-out indices long enough for ``num_streams`` rows, within the vocabulary."""
    _check_integer("num_streams", num_streams, 1)
    data = _as_long_tensor(indices)
    if len(data) < num_streams + 1:
        raise ValueError(
            f"need at least {num_streams + 1} held-out indices for {num_streams} streams, "
            f"got {len(data)}: load more held-out characters (num_valid_chars)"
        )
    if data.max().item() >= vocab_size or data.min().item() < 0:
        raise ValueError(
            f"held-out indices must lie in [0, vocab_size={vocab_size}): index them "
            f"with the training vocabulary"
        )
    return data


def _stream_perplexity(
    step, init_state, indices: Sequence[int], vocab_size, device, num_steps, num_streams
) -> float:
    """Cut ``indices`` into ``num_streams`` consecutive pieces read side by side (one minibatch row
    each), ``num_steps`` at a time, carrying the state; the last few characters that do not fill
    every row are not scored."""
    _check_integer("num_steps", num_steps, 1)
    data = _check_held_out(indices, vocab_size, num_streams)
    length = (len(data) - 1) // num_streams
    data = data.to(device)
    inputs = data[: num_streams * length].reshape(num_streams, length)
    targets = data[1 : num_streams * length + 1].reshape(num_streams, length)
    state, loss_sum = init_state(num_streams), 0.0
    with torch.no_grad():
        for i in range(0, length, num_steps):
            X, Y = inputs[:, i : i + num_steps], targets[:, i : i + num_steps]
            logits, state = step(X, state)
            loss_sum += F.cross_entropy(logits, _time_major_targets(Y), reduction="sum").item()
    return _perplexity(loss_sum, num_streams * length)


def evaluate_perplexity(
    indices,
    rnn,
    params,
    init_rnn_state,
    num_hiddens,
    vocab_size,
    device,
    num_steps: int = 35,
    num_streams: int = HELD_OUT_STREAMS,
) -> float:
    """Perplexity of a from-scratch ``rnn`` on ``indices``, read in order in ``num_streams`` pieces."""

    def step(X, state):
        outputs, state = rnn(to_onehot(X, vocab_size), state, params)
        return torch.cat(outputs, dim=0), state

    return _stream_perplexity(
        step,
        lambda n: init_rnn_state(n, num_hiddens, device),
        indices,
        vocab_size,
        device,
        num_steps,
        num_streams,
    )


def evaluate_perplexity_pytorch(
    indices, model, vocab_size, device, num_steps: int = 35, num_streams: int = HELD_OUT_STREAMS
) -> float:
    """Perplexity of an ``RNNModel`` on ``indices``, read in order in ``num_streams`` pieces."""
    was_training = model.training
    model.eval()
    try:
        return _stream_perplexity(model, lambda n: None, indices, vocab_size, device, num_steps, num_streams)
    finally:
        model.train(was_training)
