"""Compute a language-independent result once per build and share it between a chapter's twins.

The English and Chinese pages of a chapter run the same code (a test enforces it). An experiment that
does not depend on the language, such as a gradient measurement on random data, need not run twice:
the first twin to execute stores its result under `_build/shared-results/`, the other loads it. The
key is a hash of every shared code cell of the chapter, so any change to the code computes afresh;
`make clean` forgets everything. Outside the repository (Colab, a copied notebook) it just computes.
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
LANGUAGE_SPECIFIC = re.compile(r"^:tags:.*lang-specific", re.MULTILINE)


def _book_root(chapter: Path) -> Path | None:
    return next((p for p in [chapter, *chapter.parents] if (p / "_toc.yml").exists()), None)


def shared_code(source: Path) -> str:
    """The code cells of a chapter source that both twins share, concatenated."""
    cells = CODE_CELL.findall(source.read_text(encoding="utf-8"))
    return "\n".join(cell for cell in cells if not LANGUAGE_SPECIFIC.search(cell))


def computed_once(name: str, compute: Callable[[], T], chapter: Path | None = None) -> T:
    """`compute()`, run by the first twin of this build to ask and reused by the other."""
    chapter = Path.cwd() if chapter is None else chapter  # notebooks execute in their own folder
    root, source = _book_root(chapter), chapter / f"{SOURCE_LANGUAGE}.md"
    if root is None or not source.exists():
        return compute()
    key = hashlib.sha256((name + "\0" + shared_code(source)).encode()).hexdigest()[:16]
    path = root / "_build" / "shared-results" / chapter.name / f"{name}-{key}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(result))
    return result
