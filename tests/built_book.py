"""What the tests read: the book's sources, the built sites, and the values the chapters glued."""

import ast
import functools
from pathlib import Path

import jupytext
import yaml
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
CACHE = ROOT / "_build" / ".jupyter_cache"
LANGUAGES = yaml.safe_load((ROOT / "book" / "languages.yml").read_text(encoding="utf-8"))
SOURCE_LANGUAGE = next(iter(LANGUAGES))
LANGUAGE_SPECIFIC_TAG = "lang-specific"


def toc_pages() -> list[str]:
    """The English pages of _toc.yml, as paths without extension (`chapters/04-gru-scratch/en`)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + [entry["file"] for entry in toc["chapters"]]


def twin(page: str, code: str) -> str:
    return page.rsplit("/", 1)[0] + "/" + code


def chapter_folders() -> list[Path]:
    return sorted(p for p in (ROOT / "chapters").iterdir() if p.is_dir())


def read_notebook(source: Path):
    return jupytext.read(source)


def code_cells(source: Path) -> list:
    return [cell for cell in read_notebook(source).cells if cell.cell_type == "code"]


@functools.cache
def glued(source: Path) -> dict:
    """Every value a chapter glued, read from the execution cache that rendered its page."""
    code = source.stem
    cache = get_cache(CACHE / code)
    try:
        record = cache.match_cache_notebook(read_notebook(source))
    except KeyError:
        raise AssertionError(
            f"{source} has not been executed with its current code: run "
            f"`make chapter NAME={source.parent.name}` (or `make book`) first"
        ) from None
    notebook = cache.get_cache_bundle(record.pk).nb
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook")
            if scrap:
                text = output["data"][scrap["mime_prefix"] + "text/plain"]
                values[scrap["name"]] = ast.literal_eval(text)
    return values


def chapter_definitions(source: Path, namespace: dict) -> dict:
    """Run the cells of a chapter that only import and define functions or classes: the chapter's own
    code."""
    for cell in code_cells(source):
        tree = ast.parse(cell.source)
        if tree.body and all(
            isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))
            for node in tree.body
        ):
            exec(compile(tree, str(source), "exec"), namespace)
    return namespace


def language_cell(source: Path) -> dict:
    """The names the cells tagged language-specific define (corpus, budgets, labels, words)."""
    namespace: dict = {}
    for cell in code_cells(source):
        if LANGUAGE_SPECIFIC_TAG in cell.metadata.get("tags", []):
            exec(compile(cell.source, str(source), "exec"), namespace)
    return namespace
