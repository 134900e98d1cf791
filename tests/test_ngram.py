"""The Kneser-Ney baseline: a probability distribution at every order, and it learns structure."""

import math

import pytest

from grubook.ngram import KneserNey

TEXT = "the cat sat on the mat. the dog sat on the log. " * 20
VOCABULARY = sorted(set(TEXT)) + ["□"]


@pytest.fixture(scope="module")
def model():
    return KneserNey(TEXT, VOCABULARY, max_order=5)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
@pytest.mark.parametrize("history", ["", "t", "the c", "zzzz", "sat o"])
def test_every_order_is_a_distribution_over_the_vocabulary(model, order, history):
    total = sum(model.probability(history, char, order) for char in VOCABULARY)
    assert total == pytest.approx(1, abs=1e-12)
    assert all(model.probability(history, char, order) > 0 for char in VOCABULARY)


def test_longer_contexts_predict_seen_text_better(model):
    perplexities = [model.perplexity(TEXT[:300], order) for order in range(1, 6)]
    assert all(a > b for a, b in zip(perplexities, perplexities[1:]))
    # after "the " only c, m, d or l follow, and "sat o" is always followed by "n"
    assert model.probability("sat o", "n", 5) > 0.9
    # order 1 knows only how often each character is used: about the unigram perplexity
    counts = {c: TEXT.count(c) / len(TEXT) for c in set(TEXT)}
    unigram = math.exp(-sum(p * math.log(p) for p in counts.values()))
    assert perplexities[0] == pytest.approx(unigram, rel=0.05)


def test_samples_are_reproducible_and_in_the_vocabulary(model):
    first = model.sample("the ", 80, 4, seed=1)
    assert first == model.sample("the ", 80, 4, seed=1) != model.sample("the ", 80, 4, seed=2)
    assert first.startswith("the ") and len(first) == 84 and set(first) <= set(VOCABULARY)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="outside the vocabulary"):
        KneserNey("abcx", ["a", "b", "c"], 2)
    with pytest.raises(ValueError, match="max_order"):
        KneserNey("abc", ["a", "b", "c"], 0)
    model = KneserNey("abcabc", ["a", "b", "c"], 2)
    with pytest.raises(ValueError, match="from 1 to 2"):
        model.perplexity("abc", 3)
