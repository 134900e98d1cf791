"""The baseline a recurrent language model has to beat: an interpolated Kneser-Ney character n-gram.

The model of order ``n`` predicts a character from the ``n - 1`` before it. At each order it
discounts every count by ``D`` and gives the mass it took to the next lower order, whose counts are
*continuation* counts (in how many different contexts a string was seen, not how often), down to a
uniform guess over the vocabulary:

    P_k(w | h) = (max(c_k(h w) - D_k, 0) + D_k * N_k(h) * P_{k-1}(w | h')) / c_k(h)

with ``h'`` the context without its first character, ``c_k(h)`` the total count after ``h`` and
``N_k(h)`` the number of different characters seen after it; an unseen context falls back to the
lower order. ``D_k = n1 / (n1 + 2 n2)`` from the number of strings seen once and twice
(Chen and Goodman, 1999).
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict

from .data import SplitCorpus
from .shared import computed_once_for

__all__ = ["KneserNey", "ngram_baselines"]


class KneserNey:
    """Character n-gram counts of ``text`` up to ``max_order``; any order up to it can be used."""

    def __init__(self, text: str, vocabulary, max_order: int):
        if not isinstance(max_order, int) or max_order < 1:
            raise ValueError(f"max_order must be a positive integer, got {max_order!r}")
        unknown = set(text) - set(vocabulary)
        if unknown:
            raise ValueError(
                f"the text has characters outside the vocabulary: {sorted(unknown)[:5]}; "
                "map them to the unknown symbol first (SplitCorpus.decode does)"
            )
        self.vocabulary, self.max_order = list(vocabulary), max_order
        raw = [Counter(text[i : i + k] for i in range(len(text) - k + 1)) for k in range(1, max_order + 1)]
        # Continuation count of a string: how many different characters precede it.
        continuation = [Counter(gram[1:] for gram in raw[k]) for k in range(1, max_order)]
        self._counts = {}  # (order, top) -> (gram counts, context totals, context types, discount)
        for k in range(1, max_order + 1):
            tables = [(True, raw[k - 1])] + ([(False, continuation[k - 1])] if k < max_order else [])
            for top, grams in tables:
                totals, types = defaultdict(int), defaultdict(int)
                for gram, count in grams.items():
                    totals[gram[:-1]] += count
                    types[gram[:-1]] += 1
                n1 = sum(1 for c in grams.values() if c == 1)
                n2 = sum(1 for c in grams.values() if c == 2)
                discount = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
                self._counts[k, top] = (grams, totals, types, discount)

    def _check_order(self, order: int) -> None:
        if not isinstance(order, int) or not 1 <= order <= self.max_order:
            raise ValueError(f"order must be an integer from 1 to {self.max_order}, got {order!r}")

    def probability(self, history: str, char: str, order: int) -> float:
        """P(char | the last order - 1 characters of history)."""
        p = 1 / len(self.vocabulary)
        for k in range(1, order + 1):
            if len(history) < k - 1:
                break
            context = history[len(history) - k + 1 :]
            grams, totals, types, discount = self._counts[k, k == order]
            total = totals.get(context)
            if total:  # an unseen context keeps the lower order's estimate
                count = grams.get(context + char, 0)
                p = (max(count - discount, 0) + discount * types[context] * p) / total
        return p

    def perplexity(self, text: str, order: int) -> float:
        """exp of the mean negative log-probability of every character of text after the first."""
        self._check_order(order)
        if len(text) < 2:
            raise ValueError("need at least two characters to score")
        log_sum = sum(
            math.log(self.probability(text[max(0, i - order + 1) : i], text[i], order))
            for i in range(1, len(text))
        )
        return math.exp(-log_sum / (len(text) - 1))

    def sample(self, prefix: str, num_chars: int, order: int, seed: int = 0) -> str:
        """prefix followed by num_chars characters drawn from the model."""
        self._check_order(order)
        rng, text = random.Random(seed), prefix
        for _ in range(num_chars):
            history = text[max(0, len(text) - order + 1) :]
            weights = [self.probability(history, char, order) for char in self.vocabulary]
            text += rng.choices(self.vocabulary, weights)[0]
        return text


def ngram_baselines(
    corpus: SplitCorpus, max_order: int, prefixes=(), sample_len: int = 0, seed: int = 0
) -> dict:
    """What a language model on ``corpus`` has to beat, scored on its test text (once per build).

    Returns the validation perplexity of every order up to ``max_order``, the ``best_order`` on
    validation, the test perplexities of the uniform guess, of the unigram (order 1) and of the
    best order (``"ngram"``), and a sample of ``sample_len`` characters after each prefix.
    """

    def compute() -> dict:
        text = {split: corpus.decode(corpus.indices[split]) for split in ("train", "valid", "test")}
        counts = KneserNey(text["train"], corpus.idx_to_char, max_order)
        valid = {n: counts.perplexity(text["valid"], n) for n in range(1, max_order + 1)}
        best = min(valid, key=valid.get)
        return {
            "valid": valid,
            "best_order": best,
            "test": {
                "uniform": float(corpus.vocab_size),
                "unigram": counts.perplexity(text["test"], 1),
                "ngram": counts.perplexity(text["test"], best),
            },
            "samples": {p: counts.sample(p, sample_len, best, seed) for p in prefixes},
        }

    key = {
        "corpus": corpus.name,
        "text": corpus.fingerprint,
        "min_count": corpus.min_count,
        "max_order": max_order,
        "split_sizes": tuple(len(corpus.indices[s]) for s in ("train", "valid", "test")),
        "prefixes": tuple(prefixes),
        "sample_len": sample_len,
        "seed": seed,
    }
    return computed_once_for("ngram-baselines", key, compute)
