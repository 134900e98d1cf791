"""Helpers for the GRU book: offline character corpora, a d2l-zh v1 compatible training loop,
language models at a real scale and the n-gram baseline they must beat, CJK fonts for figures, the
name of the device a page ran on, results shared between pages, and a daily weather
series for forecasting."""

from .data import (
    CORPORA,
    SPLITS,
    UNKNOWN,
    CharCorpus,
    CorpusError,
    SplitCorpus,
    corpus_documents,
    corpus_text,
    load_corpus,
    load_data_shakespeare,
    load_data_tang_poems,
    load_split_corpus,
)
from .device import describe_device
from .language_model import SCALE, LanguageModelRun, train_language_model
from .ngram import KneserNey, ngram_baselines
from .plotting import use_cjk_font
from .series import SERIES, load_series
from .shared import computed_once, computed_once_for
from .training import (
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

__all__ = [
    "CORPORA",
    "SCALE",
    "SERIES",
    "SPLITS",
    "UNKNOWN",
    "CharCorpus",
    "CorpusError",
    "KneserNey",
    "LanguageModelRun",
    "RNNModel",
    "SplitCorpus",
    "computed_once",
    "computed_once_for",
    "corpus_documents",
    "corpus_text",
    "data_iter_consecutive",
    "data_iter_random",
    "describe_device",
    "evaluate_perplexity",
    "evaluate_perplexity_pytorch",
    "grad_clipping",
    "load_corpus",
    "load_data_shakespeare",
    "load_data_tang_poems",
    "load_series",
    "load_split_corpus",
    "ngram_baselines",
    "predict_rnn",
    "predict_rnn_pytorch",
    "to_onehot",
    "train_and_predict_rnn",
    "train_language_model",
    "train_and_predict_rnn_pytorch",
    "use_cjk_font",
]
