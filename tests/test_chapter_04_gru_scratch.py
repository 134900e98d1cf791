"""Chapter 04, the GRU from scratch: its `gru` is the equations, and its prose's claims hold."""

import math

import pytest
import torch
from built_book import LANGUAGES, ROOT, chapter_definitions, glued
from torch import nn

CHAPTER = ROOT / "chapters" / "04-gru-scratch"


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


@pytest.fixture(scope="module")
def chapter():
    return chapter_definitions(CHAPTER / "en.md", {"torch": torch, "nn": nn})


def hand_gru_step(x, h, p):
    """One GRU step for 1 x 2 inputs and states, with plain floats: reset before the hidden product."""

    def affine(x_w, h_w, b, hidden):
        return [
            sum(x[i] * x_w[i][j] for i in range(2)) + sum(hidden[i] * h_w[i][j] for i in range(2)) + b[j]
            for j in range(2)
        ]

    r = [sigmoid(a) for a in affine(p["W_xr"], p["W_hr"], p["b_r"], h)]
    z = [sigmoid(a) for a in affine(p["W_xz"], p["W_hz"], p["b_z"], h)]
    h_tilde = [math.tanh(a) for a in affine(p["W_xh"], p["W_hh"], p["b_h"], [r[j] * h[j] for j in range(2)])]
    return [z[j] * h[j] + (1 - z[j]) * h_tilde[j] for j in range(2)]


NAMES = ["W_xr", "W_hr", "b_r", "W_xz", "W_hz", "b_z", "W_xh", "W_hh", "b_h", "W_hq", "b_q"]


def test_gru_is_the_equations(chapter):
    torch.manual_seed(1)
    shapes = [(2, 2), (2, 2), (2,)] * 3 + [(2, 3), (3,)]
    tensors = [torch.randn(shape, dtype=torch.float64) for shape in shapes]
    plain = {name: t.tolist() for name, t in zip(NAMES, tensors)}
    h0 = [0.3, -0.7]
    xs = [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    outputs, (H,) = chapter["gru"](
        [torch.tensor([x], dtype=torch.float64) for x in xs],
        (torch.tensor([h0], dtype=torch.float64),),
        tensors,
    )
    h = h0
    for x, output in zip(xs, outputs):
        h = hand_gru_step(x, h, plain)
        scores = [sum(h[i] * plain["W_hq"][i][k] for i in range(2)) + plain["b_q"][k] for k in range(3)]
        assert output[0].tolist() == pytest.approx(scores, abs=1e-12)
    assert H[0].tolist() == pytest.approx(h, abs=1e-12)


def test_the_reset_gate_acts_before_the_hidden_product(chapter):
    """With the reset gate shut, the candidate ignores H: only the update gate's mix remains."""
    torch.manual_seed(2)
    params = [
        torch.randn(shape, dtype=torch.float64) for shape in [(3, 4), (4, 4), (4,)] * 3 + [(4, 3), (3,)]
    ]
    params[2] = torch.full((4,), -50.0, dtype=torch.float64)  # b_r: R = 0
    X = torch.eye(3, dtype=torch.float64)[:1]
    H0 = torch.randn(1, 4, dtype=torch.float64)
    _, (H,) = chapter["gru"]([X], (H0,), params)
    W_xz, W_hz, b_z, W_xh, b_h = params[3], params[4], params[5], params[6], params[8]
    Z = torch.sigmoid(X @ W_xz + H0 @ W_hz + b_z)
    assert torch.allclose(H, Z * H0 + (1 - Z) * torch.tanh(X @ W_xh + b_h))


def test_init_gru_state_is_zeros_of_the_right_shape(chapter):
    (H,) = chapter["init_gru_state"](3, 5, "cpu")
    assert H.shape == (3, 5) and not H.any()


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_prose_claims_hold(code):
    values = glued(CHAPTER / f"{code}.md")
    # "below both baselines, the vocabulary size of a uniform guess and the character frequencies"
    assert values["best_valid_perplexity"] < values["vocab_size"]
    assert values["best_valid_perplexity"] < values["unigram_perplexity"] < values["vocab_size"]
    # "after that epoch ... the validation perplexity climbed to ... by epoch {num_epochs}": overfitting
    assert values["best_valid_epoch"] < values["num_epochs"]
    # the Chinese edition's reason for half the seed's epochs: "the validation perplexity reaches its
    # lowest well before the end" (early in the run: in its first three quarters)
    assert values["best_valid_epoch"] <= 0.75 * values["num_epochs"]
    assert values["valid_perplexity"] > values["best_valid_perplexity"]
    # "the training perplexity fell"
    assert values["train_perplexity"] < values["first_perplexity"]
