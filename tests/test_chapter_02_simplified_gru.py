"""Chapter 02, the simplified GRU: its cell is the course's equations, its sentences are what the
prose says they are, and the prose's claims about the trained gate hold on both twins' glued values."""

import math

import pytest
import torch
import torch.nn.functional as F
from built_book import LANGUAGES, ROOT, chapter_definitions, code_cells, glued
from torch import nn

CHAPTER = ROOT / "chapters" / "02-simplified-gru"


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


@pytest.fixture(scope="module")
def chapter():
    """The chapter's functions, with the vocabulary cell run too (make_sentences reads it)."""
    namespace = chapter_definitions(CHAPTER / "en.md", {"torch": torch, "nn": nn, "F": F})
    vocabulary = next(c for c in code_cells(CHAPTER / "en.md") if "lemma_index = " in c.source)
    namespace["glue"] = lambda *args, **kwargs: None
    exec(vocabulary.source, namespace)  # noqa: S102 (the chapter's own vocabulary cell)
    return namespace


def hand_cell(x, c, p):
    """One step of Ng's simplified GRU with plain floats; [c, x] stacks memory over input."""
    c_x = c + x
    rows = range(len(c_x))

    def affine(W, b):
        return [sum(c_x[i] * W[i][j] for i in rows) + b[j] for j in range(len(c))]

    c_tilde = [math.tanh(a) for a in affine(p["W_c"], p["b_c"])]
    gamma = [sigmoid(a) for a in affine(p["W_u"], p["b_u"])]
    return [g * ct + (1 - g) * old for g, ct, old in zip(gamma, c_tilde, c)], gamma


def test_gru_cell_is_the_equations(chapter):
    torch.manual_seed(3)
    tensors = [torch.randn(shape, dtype=torch.float64) for shape in [(5, 2), (2,), (5, 2), (2,)]]
    plain = dict(zip(["W_c", "b_c", "W_u", "b_u"], [t.tolist() for t in tensors]))
    x, c = [0.5, -1.0, 2.0], [0.3, -0.7]
    new_c, gamma = chapter["gru_cell"](
        torch.tensor([x], dtype=torch.float64), torch.tensor([c], dtype=torch.float64), tensors
    )
    expected_c, expected_gamma = hand_cell(x, c, plain)
    assert new_c[0].tolist() == pytest.approx(expected_c, abs=1e-12)
    assert gamma[0].tolist() == pytest.approx(expected_gamma, abs=1e-12)


@pytest.mark.parametrize("bias", [-60.0, 60.0])
def test_the_gate_writes_at_1_and_keeps_at_0(chapter, bias):
    """Ng's convention, the mirror of the book's Z: a gate of 1 writes the candidate, 0 keeps c."""
    torch.manual_seed(4)
    W_c, W_u = torch.randn(7, 4, dtype=torch.float64), torch.randn(7, 4, dtype=torch.float64)
    b_c = torch.randn(4, dtype=torch.float64)
    x, c = torch.randn(3, 3, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    new_c, gamma = chapter["gru_cell"](x, c, (W_c, b_c, W_u, torch.full((4,), bias, dtype=torch.float64)))
    candidate = torch.tanh(torch.cat([c, x], dim=1) @ W_c + b_c)
    assert torch.allclose(new_c, candidate if bias > 0 else c, atol=1e-20, rtol=0)
    assert torch.allclose(gamma, torch.full_like(gamma, 1.0 if bias > 0 else 0.0), atol=1e-20, rtol=0)


def test_simplified_gru_runs_the_cell_at_every_word(chapter):
    torch.manual_seed(5)
    params = [torch.randn(shape) for shape in [(6, 2), (2,), (6, 2), (2,)]]
    X, c = torch.randn(3, 5, 4), torch.randn(3, 2)
    memories, gates = chapter["simplified_gru"](X, c, params)
    assert memories.shape == gates.shape == (3, 5, 2)
    for t in range(5):
        c, gamma = chapter["gru_cell"](X[:, t], c, params)
        assert torch.equal(memories[:, t], c) and torch.equal(gates[:, t], gamma)


def test_sentences_are_what_the_prose_says(chapter):
    generator = torch.Generator().manual_seed(7)
    max_fillers = chapter["max_fillers"]
    lemma_ids, numbers, lengths, plural = chapter["make_sentences"](
        4000, max_fillers, chapter["attractor_rate"], generator
    )
    nouns, num_subjects = chapter["nouns"], chapter["num_subjects"]
    assert (lemma_ids[:, 0] == chapter["lemma_index"]["the"]).all()
    assert (lemma_ids[:, 1] < num_subjects).all(), "position 1 holds a subject"
    assert torch.equal(numbers[:, 1], 2.0 * plural - 1), "the label is the subject's number"
    assert 3 <= lengths.min() and lengths.max() <= 2 + max_fillers, "1 to max_fillers fillers"
    fillers = lemma_ids[:, 2:]
    assert (fillers >= num_subjects).all(), "no second subject among the fillers"
    is_noun = fillers < len(nouns)
    assert (numbers[:, 2:][is_noun].abs() == 1).all() and (numbers[:, 2:][~is_noun] == 0).all()
    assert is_noun.float().mean().item() == pytest.approx(chapter["attractor_rate"], abs=0.02)
    assert plural.float().mean().item() == pytest.approx(0.5, abs=0.03)
    X = chapter["encode"](lemma_ids, numbers)
    assert X.shape == (4000, 2 + max_fillers, chapter["num_inputs"])
    words = chapter["words_of"](lemma_ids[0], numbers[0], int(lengths[0]))
    assert words[1] == (chapter["plurals"][nouns[lemma_ids[0, 1]]] if plural[0] else nouns[lemma_ids[0, 1]])


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_prose_claims_hold(code):
    values = glued(CHAPTER / f"{code}.md")
    # the page: "open when it is above <gate_open> and shut when it is below <gate_shut>"
    gate_open, gate_shut = values["gate_open"], values["gate_shut"]
    assert 0.5 < gate_open < 1 and 0 < gate_shut < 0.5
    # "so at the start every gate sits near 0.5": the untrained model's gates on the test sentences
    # average one half to within 0.05, and none of them is open or shut in the page's sense
    assert values["gate_initial"] == pytest.approx(0.5, abs=0.05)
    assert gate_shut < values["gate_initial_low"] <= values["gate_initial_high"] < gate_open
    # Training: "from about ln 2 (a coin toss) to ..." and the model "does" agree.
    assert values["first_loss"] == pytest.approx(math.log(2), abs=0.05)
    assert values["final_loss"] < values["first_loss"] / 10
    # "solved if at least <solved_threshold> of the verbs come out right"
    assert 0.5 < values["solved_threshold"] < 1
    assert values["test_accuracy"] >= values["solved_threshold"]
    assert values["misleading_accuracy"] >= 0.95 and values["num_misleading"] >= 100
    # The memory unit carries the number.
    assert values["memory_correlation"] >= 0.9
    # "At the subject its gate is open", for either number; "at the filler words it is shut",
    # "shut tightest at the attractor nouns".
    for name in ("gate_subject", "gate_subject_singular", "gate_subject_plural"):
        assert values[name] > gate_open, name
    assert values["gate_fillers"] < gate_shut
    assert values["gate_attractors"] < values["gate_fillers"]
    # "Averaged over all units the picture blurs": far less separation than the memory unit's.
    separation = values["gate_subject"] - values["gate_fillers"]
    assert values["gate_all_units_subject"] - values["gate_all_units_fillers"] < separation / 2
    # The two example sentences: the gate opens at the subject and never rises above one half
    # afterwards; the memory takes the subject's sign (opposite in the two) and keeps it "straight
    # through mouse and mice": at every word from the subject on, not only at the end.
    for k in (1, 2):
        assert values[f"example{k}_gate_subject"] > gate_open
        assert values[f"example{k}_gate_after"] < 0.5
        assert values[f"example{k}_memory_subject"] * values[f"example{k}_memory_end"] > 0
        assert values[f"example{k}_memory_margin"] > 0
        assert values[f"example{k}_p_correct"] >= 0.9
    assert values["example1_memory_subject"] * values["example2_memory_subject"] < 0
    # Why an almost shut gate is enough: the candidate agrees with the memory at function words,
    # about half the time at attractors because it follows the attractor's number, and the sign of
    # the memory survives from the subject to the end.
    assert values["agree_function_words"] >= 0.95
    assert values["agree_attractors"] == pytest.approx(0.5, abs=0.05)  # "about half"
    assert values["follows_attractor"] >= 0.9
    assert values["sign_kept"] >= 0.95
    assert values["chapter_minutes"] > 0 and values["device_name"]


def test_the_chinese_edition_reuses_the_training_run():
    """The page says "the Chinese edition of this page reuses its training run": both twins glue the
    same results, the training time included (a second run would have taken a different time); only
    the page's own time and the device, named in each page's language, differ."""
    values = {code: glued(CHAPTER / f"{code}.md") for code in LANGUAGES}
    shared = set(values["en"]) - {"chapter_minutes", "device_name"}
    assert "train_seconds" in shared
    for code, v in values.items():
        assert {k: v[k] for k in shared} == {k: values["en"][k] for k in shared}, code
