"""Character language models at a real scale: an embedding, a recurrent layer and a linear output,
trained with Adam for a fixed number of updates and stopped early on the validation text.

A configuration asked for twice (by two pages, or by a page and an exercise that repeats one of its
runs) is trained once: `train_language_model` trains each configuration once per build and every
later request for it loads the result. `GRUBOOK_SCALE=full` selects the larger budgets the pages
define for a GPU.
"""

from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .data import SplitCorpus
from .shared import computed_once_for
from .training import (
    RNNModel,
    _check_integer,
    _check_positive,
    _detach,
    data_iter_consecutive,
    evaluate_perplexity_pytorch,
)

__all__ = ["LAYERS", "SCALE", "LanguageModelRun", "train_language_model"]

LAYERS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
SCALES = ("ci", "full")
SCALE = os.environ.get("GRUBOOK_SCALE", "ci")
if SCALE not in SCALES:
    raise ValueError(f"GRUBOOK_SCALE is {SCALE!r}; set it to one of {', '.join(SCALES)} (or unset it)")
EVAL_STREAMS = 64  # held-out text is read as this many side-by-side streams


@dataclass
class LanguageModelRun:
    """A trained model's configuration, learning curve, chosen checkpoint and scores."""

    config: dict
    curve: list[dict]  # per evaluation: update, seconds, train (None at 0) and valid perplexity
    best_update: int
    valid_perplexity: float  # of the chosen (best on validation) checkpoint
    test_perplexity: float
    state_dict: dict

    def model(self, device=None) -> RNNModel:
        """The chosen checkpoint as a model, in evaluation mode."""
        model = _build(
            **{
                k: self.config[k]
                for k in ("cell", "vocab_size", "embed_size", "num_hiddens", "num_layers", "dropout")
            }
        )
        model.load_state_dict(self.state_dict)
        return model.to(device).eval()


def _build(cell, vocab_size, embed_size, num_hiddens, num_layers, dropout) -> RNNModel:
    layer = LAYERS[cell](embed_size, num_hiddens, num_layers=num_layers, dropout=dropout)
    return RNNModel(layer, vocab_size, embedding=True)


def _perplexity(model, indices, device, num_steps) -> float:
    return evaluate_perplexity_pytorch(
        indices, model, model.vocab_size, device, num_steps, num_streams=EVAL_STREAMS
    )


def _train(corpus: SplitCorpus, config: dict, device) -> LanguageModelRun:
    torch.manual_seed(config["seed"])
    model = _build(
        **{k: config[k] for k in ("cell", "vocab_size", "embed_size", "num_hiddens", "num_layers", "dropout")}
    ).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    train = torch.tensor(corpus.indices["train"])
    num_steps, batch_size = config["num_steps"], config["batch_size"]
    valid = lambda: _perplexity(model, corpus.indices["valid"], device, num_steps)  # noqa: E731
    curve = [{"update": 0, "seconds": 0.0, "train_perplexity": None, "valid_perplexity": valid()}]
    best_valid, best_update, best_state = curve[0]["valid_perplexity"], 0, copy.deepcopy(model.state_dict())
    update, seconds, loss_sum, count = 0, 0.0, 0.0, 0
    while update < config["num_updates"]:
        # Each pass over the text starts at a random offset, so minibatch boundaries move.
        offset = int(torch.randint(num_steps, ()))
        state = None
        model.train()
        for X, Y in data_iter_consecutive(train[offset:], batch_size, num_steps, device):
            start = time.perf_counter()
            logits, state = model(X, _detach(state))
            loss = F.cross_entropy(logits, Y.t().reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config["clipping_theta"])
            optimizer.step()
            if device is not None and torch.device(device).type == "cuda":
                torch.cuda.synchronize(device)
            seconds += time.perf_counter() - start
            update, loss_sum, count = update + 1, loss_sum + loss.item(), count + 1
            if update % config["eval_every"] == 0 or update == config["num_updates"]:
                point = {
                    "update": update,
                    "seconds": seconds,
                    "train_perplexity": math.exp(loss_sum / count),
                    "valid_perplexity": valid(),
                }
                curve.append(point)
                model.train()
                loss_sum, count = 0.0, 0
                if point["valid_perplexity"] < best_valid:
                    best_valid, best_update = point["valid_perplexity"], update
                    best_state = copy.deepcopy(model.state_dict())
            if update == config["num_updates"]:
                break
    model.load_state_dict(best_state)
    test = _perplexity(model, corpus.indices["test"], device, num_steps)
    state_dict = {k: v.detach().cpu() for k, v in best_state.items()}
    return LanguageModelRun(config, curve, best_update, best_valid, test, state_dict)


def train_language_model(
    corpus: SplitCorpus,
    cell: str,
    num_hiddens: int,
    embed_size: int,
    *,
    num_updates: int,
    eval_every: int,
    batch_size: int,
    num_steps: int,
    lr: float,
    clipping_theta: float = 1.0,
    seed: int = 0,
    num_layers: int = 1,
    dropout: float = 0.0,
    device=None,
) -> LanguageModelRun:
    """Train (or load, when this build already trained it) a character language model.

    Adam, gradients clipped to a global norm of ``clipping_theta``, minibatches of ``batch_size``
    consecutive streams of ``num_steps`` characters; the validation perplexity is measured every
    ``eval_every`` updates and the best checkpoint is kept and scored on the test text.
    """
    if cell not in LAYERS:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(LAYERS)}")
    for name, value in (
        ("num_hiddens", num_hiddens),
        ("embed_size", embed_size),
        ("num_updates", num_updates),
        ("eval_every", eval_every),
        ("batch_size", batch_size),
        ("num_steps", num_steps),
        ("num_layers", num_layers),
    ):
        _check_integer(name, value, 1)
    _check_positive("lr", lr)
    _check_positive("clipping_theta", clipping_theta)
    if not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
        raise ValueError(f"dropout must be a share in [0, 1), got {dropout!r}")
    for split in ("train", "valid", "test"):
        needed = (batch_size if split == "train" else EVAL_STREAMS) * num_steps + 1
        if len(corpus.indices[split]) < needed:
            raise ValueError(
                f"the {split} text has {len(corpus.indices[split]):,} characters; "
                f"it needs at least {needed:,} for these minibatches"
            )
    device = torch.device("cpu") if device is None else torch.device(device)
    config = {
        "corpus": corpus.name,
        "text": corpus.fingerprint,
        "min_count": corpus.min_count,
        "split_sizes": tuple(len(corpus.indices[s]) for s in ("train", "valid", "test")),
        "vocab_size": corpus.vocab_size,
        "cell": cell,
        "num_hiddens": num_hiddens,
        "embed_size": embed_size,
        "num_layers": num_layers,
        "dropout": dropout,
        "num_updates": num_updates,
        "eval_every": eval_every,
        "batch_size": batch_size,
        "num_steps": num_steps,
        "lr": lr,
        "clipping_theta": clipping_theta,
        "seed": seed,
        "device": device.type,
    }
    return computed_once_for("language-model", config, lambda: _train(corpus, config, device))
