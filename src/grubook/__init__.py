"""Helpers for the GRU book: offline character corpora, a d2l-zh v1 compatible training loop,
CJK fonts for figures, the name of the device a page ran on, and results shared by twin pages."""

from .data import (
    CORPORA,
    CharCorpus,
    CorpusError,
    corpus_text,
    load_corpus,
    load_data_shakespeare,
    load_data_tang_poems,
)
from .device import describe_device
from .plotting import use_cjk_font
from .shared import computed_once
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
    "CharCorpus",
    "CorpusError",
    "RNNModel",
    "computed_once",
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
    "predict_rnn",
    "predict_rnn_pytorch",
    "to_onehot",
    "train_and_predict_rnn",
    "train_and_predict_rnn_pytorch",
    "use_cjk_font",
]
