"""Every page has a twin in every language, and twin chapters run the same code."""

import re
from pathlib import Path

import pytest

from built_book import (LANGUAGE_SPECIFIC_TAG, LANGUAGES, ROOT, SOURCE_LANGUAGE, chapter_folders, glued,
                        code_cells, toc_pages, twin)

GLUE_REFERENCE = re.compile(r"\{glue:(?:text|md)\}`([A-Za-z0-9_]+)")
FENCE = re.compile(r"^(```|~~~)")
SECTION_HEADING = re.compile(r"^#{2,6} ")
LABEL = re.compile(r"^\(([A-Za-z0-9_-]+)\)=$")


def section_labels(source: Path) -> list[str | None]:
    """The explicit label above each section heading (level 2 and below), None where there is none.
    Twin pages carry the same labels in the same order, so that the language switch (book/_static/
    site.js) lands on the section being read."""
    labels, fence, previous = [], None, ""
    for line in source.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            marker = FENCE.match(line).group(1)
            fence = marker if fence is None else (None if line.strip() == fence else fence)
        elif fence is None and SECTION_HEADING.match(line):
            label = LABEL.match(previous.strip())
            labels.append(label.group(1) if label else None)
        if line.strip():
            previous = line
    return labels


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


@pytest.mark.parametrize("page", toc_pages())
def test_twin_pages_label_the_same_sections(page):
    labels = section_labels(ROOT / f"{page}.md")
    assert None not in labels, f"{page}.md: a section heading has no label like (chapter-section)="
    for code in LANGUAGES:
        assert section_labels(ROOT / f"{twin(page, code)}.md") == labels, f"{twin(page, code)}.md"


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


CODE_COLUMNS = 80  # what a code cell shows without scrolling in the 1280 px layout


@pytest.mark.parametrize("folder", chapter_folders(), ids=lambda p: p.name)
def test_code_lines_fit_the_column(folder):
    for code in LANGUAGES:
        long = [line for cell in code_cells(folder / f"{code}.md") for line in cell.source.splitlines()
                if len(line) > CODE_COLUMNS]
        assert long == [], f"{folder.name}/{code}.md: {len(long)} code lines over {CODE_COLUMNS}: {long[:2]}"


def test_a_chapter_that_was_not_built_says_how_to_build_it(tmp_path):
    folder = chapter_folders()[0]
    edited = tmp_path / folder.name / f"{SOURCE_LANGUAGE}.md"
    edited.parent.mkdir()
    edited.write_text((folder / f"{SOURCE_LANGUAGE}.md").read_text(encoding="utf-8").replace(
        "```{code-cell} ipython3\n", "```{code-cell} ipython3\n# never executed\n", 1), encoding="utf-8")
    with pytest.raises(AssertionError, match=f"make chapter NAME={folder.name}"):
        glued(edited)
