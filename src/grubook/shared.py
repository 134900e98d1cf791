"""Compute a result once per build and share it between the pages that need it.

The English and Chinese pages of a chapter run the same code (a test enforces it). An experiment that
does not depend on the language, such as a gradient measurement on random data, need not run twice:
the first twin to execute stores its result under `_build/shared-results/`, the other loads it
(`computed_once`; the key is a hash of every shared code cell of the chapter, so any change to the
code computes afresh, and twins whose shared code differs are refused). A result that several
chapters need, such as one trained language model, is stored under a key made of everything that
determines it (`computed_once_for`). `make clean` forgets everything. Outside the repository
(Colab, a copied notebook) both just compute.
"""

import hashlib
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
SOURCE_LANGUAGE = "en"
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
# A cell's options come first: `:key: value` lines, or a YAML block between two `---` lines (where a
# figure's caption and alt text are written in the page's language).
CELL_OPTIONS = re.compile(r"\A(?:---\n.*?\n---\n|(?::[\w-]+:.*\n)+)", re.DOTALL)
PACKAGE = Path(__file__).resolve().parent


def _book_root(chapter: Path) -> Path | None:
    return next((p for p in [chapter, *chapter.parents] if (p / "_toc.yml").exists()), None)


def _stored(path: Path, compute: Callable[[], T]) -> T:
    if path.exists():
        return pickle.loads(path.read_bytes())
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(result))
    return result


def shared_code(source: Path) -> str:
    """The code of the cells of a chapter source that both twins share (their options left out),
    concatenated."""
    shared = []
    for cell in CODE_CELL.findall(source.read_text(encoding="utf-8")):
        options = CELL_OPTIONS.match(cell)
        options = options.group(0) if options else ""
        if "lang-specific" not in options:
            shared.append(cell[len(options) :])
    return "\n".join(shared)


def computed_once(name: str, compute: Callable[[], T], chapter: Path | None = None) -> T:
    """`compute()`, run by the first twin of this build to ask and reused by the other."""
    chapter = Path.cwd() if chapter is None else chapter  # notebooks execute in their own folder
    root, source = _book_root(chapter), chapter / f"{SOURCE_LANGUAGE}.md"
    if root is None or not source.exists():
        return compute()
    code = shared_code(source)
    differing = [twin.name for twin in sorted(chapter.glob("*.md")) if shared_code(twin) != code]
    if differing:  # one twin's results would be shown under the other's code
        raise ValueError(
            f"{', '.join(differing)} in {chapter.name} run other shared code than "
            f"{source.name}; computed_once shares results only between twins that run the "
            "same code: make their code cells identical (tests/test_twins.py says where)"
        )
    key = hashlib.sha256((name + "\0" + code).encode()).hexdigest()[:16]
    return _stored(root / "_build" / "shared-results" / chapter.name / f"{name}-{key}.pickle", compute)


def computed_once_for(name: str, key: dict, compute: Callable[[], T], where: Path | None = None) -> T:
    """`compute()`, run by the first page of this build that asks with this `key` (a dict of
    everything the result depends on, besides the grubook package, whose code joins the key)."""
    root = _book_root(Path.cwd() if where is None else where)
    if root is None:
        return compute()
    package = b"".join(p.read_bytes() for p in sorted(PACKAGE.glob("*.py")))
    digest = hashlib.sha256(repr(sorted(key.items())).encode() + package).hexdigest()[:16]
    return _stored(root / "_build" / "shared-results" / "_by-key" / f"{name}-{digest}.pickle", compute)
