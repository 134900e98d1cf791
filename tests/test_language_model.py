"""grubook.train_language_model: early stopping keeps the best checkpoint, the scores are the
checkpoint's, bad settings fail before training, and a second page asking the same loads it."""

import pytest
import torch

from grubook import data
from grubook.language_model import train_language_model
from grubook.training import RNNModel, evaluate_perplexity_pytorch

SETTINGS = dict(num_updates=12, eval_every=3, batch_size=4, num_steps=8, lr=1e-2)


@pytest.fixture(scope="module")
def corpus():
    return data.load_split_corpus(
        "shakespeare", num_train_chars=3_000, num_valid_chars=1_200, num_test_chars=1_200
    )


@pytest.fixture
def book(tmp_path, monkeypatch):
    (tmp_path / "_toc.yml").write_text("root: x\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_chosen_checkpoint_is_the_best_on_validation(corpus, book):
    run = train_language_model(corpus, "gru", 16, 8, **SETTINGS)
    assert [p["update"] for p in run.curve] == [0, 3, 6, 9, 12]
    best = min(run.curve, key=lambda p: p["valid_perplexity"])
    assert (run.best_update, run.valid_perplexity) == (best["update"], best["valid_perplexity"])
    model = run.model()
    for split, score in (("valid", run.valid_perplexity), ("test", run.test_perplexity)):
        again = evaluate_perplexity_pytorch(
            corpus.indices[split], model, corpus.vocab_size, "cpu", 8, num_streams=64
        )
        assert again == pytest.approx(score, rel=1e-5)
    assert run.curve[-1]["seconds"] > run.curve[1]["seconds"] > 0
    assert run.curve[0]["train_perplexity"] is None  # nothing trained yet


def test_a_second_page_loads_the_same_run_and_other_settings_train_anew(corpus, book):
    first = train_language_model(corpus, "gru", 16, 8, **SETTINGS)
    again = train_language_model(corpus, "gru", 16, 8, **SETTINGS)
    assert again.curve == first.curve
    assert len(list((book / "_build" / "shared-results" / "_by-key").glob("*.pickle"))) == 1
    other = train_language_model(corpus, "gru", 16, 8, **{**SETTINGS, "lr": 5e-3})
    assert other.curve != first.curve


def test_the_model_reads_characters_through_an_embedding(corpus, book):
    model = train_language_model(corpus, "lstm", 12, 6, **SETTINGS).model()
    assert isinstance(model, RNNModel) and model.embedding.weight.shape == (corpus.vocab_size, 6)
    assert isinstance(model.rnn, torch.nn.LSTM) and not model.training


def test_bad_settings_fail_before_training(corpus):
    with pytest.raises(ValueError, match="rnn, gru, lstm"):
        train_language_model(corpus, "transformer", 16, 8, **SETTINGS)
    with pytest.raises(ValueError, match="eval_every"):
        train_language_model(corpus, "gru", 16, 8, **{**SETTINGS, "eval_every": 0})
    with pytest.raises(ValueError, match="valid text has 1,200 characters"):
        train_language_model(corpus, "gru", 16, 8, **{**SETTINGS, "num_steps": 30})
    with pytest.raises(ValueError, match="reverses every step"):
        train_language_model(corpus, "gru", 16, 8, **{**SETTINGS, "clipping_theta": -1.0})
    with pytest.raises(ValueError, match="lr must be a number above 0"):
        train_language_model(corpus, "gru", 16, 8, **{**SETTINGS, "lr": 0})
    with pytest.raises(ValueError, match="dropout must be a share"):
        train_language_model(corpus, "gru", 16, 8, **{**SETTINGS, "dropout": 1.5})
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got True"):
        train_language_model(corpus, "gru", 16, 8, **{**SETTINGS, "batch_size": True})


def test_an_unknown_scale_is_refused_at_import():
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import grubook"],
        capture_output=True,
        text=True,
        env={**os.environ, "GRUBOOK_SCALE": "huge"},
    )
    assert result.returncode != 0 and "one of ci, full" in result.stderr
