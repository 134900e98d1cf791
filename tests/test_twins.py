"""Every page has a twin in every language, and twin chapters run the same code."""

import re
from pathlib import Path

import pytest

from built_book import (LANGUAGE_SPECIFIC_TAG, LANGUAGES, ROOT, SOURCE_LANGUAGE, chapter_folders,
                        code_cells, toc_pages, twin)

GLUE_REFERENCE = re.compile(r"\{glue:(?:text|md)\}`([A-Za-z0-9_]+)")


def code_differences(source: Path, other: Path) -> list[str]:
    """The code cells where two twins differ, apart from cells tagged language-specific in both."""
    a_cells, b_cells = code_cells(source), code_cells(other)
    if len(a_cells) != len(b_cells):
        return [f"{other.name} has {len(b_cells)} code cells, {source.name} has {len(a_cells)}"]
    problems = []
    for number, (a, b) in enumerate(zip(a_cells, b_cells), start=1):
        tagged = [LANGUAGE_SPECIFIC_TAG in c.metadata.get("tags", []) for c in (a, b)]
        if tagged[0] != tagged[1]:
            problems.append(f"code cell {number} is tagged {LANGUAGE_SPECIFIC_TAG} in one twin only")
        elif not tagged[0] and a.source != b.source:
            problems.append(f"code cell {number} differs")
    return problems


@pytest.mark.parametrize("page", toc_pages())
def test_every_page_has_its_twins(page):
    for code in LANGUAGES:
        assert (ROOT / f"{twin(page, code)}.md").exists(), f"{page}.md has no {code} twin"


@pytest.mark.parametrize("folder", chapter_folders(), ids=lambda p: p.name)
def test_twin_chapters_run_the_same_code(folder):
    for code in LANGUAGES:
        assert code_differences(folder / f"{SOURCE_LANGUAGE}.md", folder / f"{code}.md") == []


@pytest.mark.parametrize("folder", chapter_folders(), ids=lambda p: p.name)
def test_twins_quote_the_same_glued_values(folder):
    quoted = {code: set(GLUE_REFERENCE.findall((folder / f"{code}.md").read_text(encoding="utf-8")))
              for code in LANGUAGES}
    for code, names in quoted.items():
        assert names == quoted[SOURCE_LANGUAGE], f"{folder.name}: {code} quotes other glued values than en"


def test_a_changed_shared_cell_is_a_difference(tmp_path):
    folder = chapter_folders()[0]
    source = folder / f"{SOURCE_LANGUAGE}.md"
    shared = next(c for c in code_cells(source) if LANGUAGE_SPECIFIC_TAG not in c.metadata.get("tags", []))
    edited = tmp_path / "edited.md"
    edited.write_text(source.read_text(encoding="utf-8").replace(shared.source, shared.source + "  # edited", 1),
                      encoding="utf-8")
    assert code_differences(source, edited), "an edited shared cell went unnoticed"
