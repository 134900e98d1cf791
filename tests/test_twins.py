"""Every page has a twin in every language, and twin chapters run the same code."""

import re
import string
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ci"))
import twins as drift  # noqa: E402  (ci/twins.py: which English each translation follows)
from built_book import (
    LANGUAGE_SPECIFIC_TAG,
    LANGUAGES,
    ROOT,
    SOURCE_LANGUAGE,
    chapter_folders,
    code_cells,
    glued,
    language_cell,
    read_notebook,
    toc_pages,
    twin,
)

GLUE_REFERENCE = re.compile(r"\{glue:(?:text|md)\}`([A-Za-z0-9_]+)")
GLUE_WITH_FORMAT = re.compile(r"\{glue:(?:text|md)\}`([A-Za-z0-9_]+(?::[^`]*)?)`")
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


# What the language-specific cell of a chapter may set differently in each twin: the language and
# its words, the corpus and what is drawn from it, and the training budget with the settings matched
# to it (a softmax over 3,960 Chinese characters makes an update several times dearer). Any other
# name it defines must have the same value in every twin.
LANGUAGE_DEPENDENT = {
    "language",
    "words",
    "plot_labels",
    "printed",
    "corpus_name",
    "prefixes",
    "form",
    "num_chars",
    "num_epochs",
    "num_train_chars",
    "num_valid_chars",
    "num_updates",
    "num_hiddens",
    "lr",
}
# Cell metadata that is written in the page's language: a figure's caption and alt text.
WORDED_METADATA = {("mystnb", "figure", "caption"), ("mystnb", "image", "alt")}


def metadata_without_words(metadata: dict, path: tuple = ()) -> dict:
    return {
        key: metadata_without_words(value, path + (key,)) if isinstance(value, dict) else value
        for key, value in metadata.items()
        if path + (key,) not in WORDED_METADATA
    }


def code_differences(source: Path, other: Path) -> list[str]:
    """The code cells where two twins differ, apart from cells tagged language-specific in both;
    tags and other metadata count (only captions and alt text may differ)."""
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
        elif metadata_without_words(a.metadata) != metadata_without_words(b.metadata):
            problems.append(
                f"code cell {number} has other tags or metadata "
                f"({a.metadata.get('tags')} vs {b.metadata.get('tags')})"
            )
    return problems


def language_cell_differences(source: Path, other: Path) -> list[str]:
    """How the twins' language-specific cells differ beyond what LANGUAGE_DEPENDENT allows."""
    a, b = ({k: v for k, v in language_cell(p).items() if not k.startswith("__")} for p in (source, other))
    problems = [f"{name} is defined in one twin only" for name in sorted(set(a) ^ set(b))]
    problems += [
        f"{name} differs ({a[name]!r} vs {b[name]!r}) but does not depend on the language"
        for name in sorted(set(a) & set(b) - LANGUAGE_DEPENDENT)
        if a[name] != b[name]
    ]
    for name in ("words", "plot_labels", "printed"):
        if isinstance(a.get(name), dict) and isinstance(b.get(name), dict):
            if set(a[name]) != set(b[name]):
                problems.append(f"{name} has other keys: {sorted(set(a[name]) ^ set(b[name]))}")
            for key in set(a[name]) & set(b[name]) if name == "printed" else ():  # format templates
                if isinstance(a[name][key], str) and template_fields(a[name][key]) != template_fields(
                    b[name][key]
                ):
                    problems.append(f"{name}[{key!r}] fills other fields in the two twins")
    return problems


def template_fields(template: str) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError:  # not a format template
        return set()


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
def test_twin_language_cells_differ_only_in_words_corpus_and_budget(folder):
    for code in LANGUAGES:
        assert language_cell_differences(folder / f"{SOURCE_LANGUAGE}.md", folder / f"{code}.md") == []


@pytest.mark.parametrize("folder", chapter_folders(), ids=lambda p: p.name)
def test_twins_quote_the_same_glued_values_in_the_same_formats(folder):
    """The same references, as many times, in every section, and each of the same kind of format
    (a share may be a decimal in one twin and a percentage in the other; precision may differ)."""

    def kind(reference: str) -> tuple[str, str]:
        name, _, spec = reference.partition(":")
        letter = spec[-1:] if spec[-1:].isalpha() or spec[-1:] == "%" else ""
        return name, {"%": "f"}.get(letter, letter)

    def quoted(code: str) -> list[Counter]:
        prose = "\n".join(
            cell.source for cell in read_notebook(folder / f"{code}.md").cells if cell.cell_type == "markdown"
        )
        sections = re.split(r"^#{1,6} ", prose, flags=re.M)
        return [Counter(map(kind, GLUE_WITH_FORMAT.findall(section))) for section in sections]

    for code in LANGUAGES:
        english, other = quoted(SOURCE_LANGUAGE), quoted(code)
        assert len(english) == len(other), f"{folder.name}: {code} has other sections"
        for number, (a, b) in enumerate(zip(english, other)):
            assert a == b, f"{folder.name}/{code}.md section {number}: {dict(a - b)} vs {dict(b - a)}"


def test_a_changed_shared_cell_is_a_difference(tmp_path):
    folder = chapter_folders()[0]
    source = folder / f"{SOURCE_LANGUAGE}.md"
    shared = next(c for c in code_cells(source) if not c.metadata)  # a shared cell without options
    edited = tmp_path / "edited.md"
    edited.write_text(
        source.read_text(encoding="utf-8").replace(shared.source, shared.source + "  # edited", 1),
        encoding="utf-8",
    )
    assert code_differences(source, edited), "an edited shared cell went unnoticed"


CODE_COLUMNS = 80  # what a code cell shows without scrolling in the 1280 px layout


@pytest.mark.parametrize("folder", chapter_folders(), ids=lambda p: p.name)
def test_code_lines_fit_the_column(folder):
    for code in LANGUAGES:
        long = [
            line
            for cell in code_cells(folder / f"{code}.md")
            for line in cell.source.splitlines()
            if len(line) > CODE_COLUMNS
        ]
        assert long == [], f"{folder.name}/{code}.md: {len(long)} code lines over {CODE_COLUMNS}: {long[:2]}"


def test_a_chapter_that_was_not_built_says_how_to_build_it(tmp_path):
    folder = chapter_folders()[0]
    edited = tmp_path / folder.name / f"{SOURCE_LANGUAGE}.md"
    edited.parent.mkdir()
    edited.write_text(
        (folder / f"{SOURCE_LANGUAGE}.md")
        .read_text(encoding="utf-8")
        .replace("```{code-cell} ipython3\n", "```{code-cell} ipython3\n# never executed\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match=f"make chapter NAME={folder.name}"):
        glued(edited)


def test_the_parity_checks_catch_a_changed_setting_a_tag_and_a_typed_number(tmp_path):
    folder = chapter_folders()[0]
    source = folder / f"{SOURCE_LANGUAGE}.md"
    text = source.read_text(encoding="utf-8")
    tagged = next(c for c in code_cells(source) if LANGUAGE_SPECIFIC_TAG in c.metadata.get("tags", []))
    shared = next(c for c in code_cells(source) if not c.metadata)  # a shared cell without options

    def twin_with(old: str, new: str) -> Path:
        copy = tmp_path / folder.name / f"edited-{len(list(tmp_path.rglob('*.md')))}.md"
        copy.parent.mkdir(exist_ok=True)
        copy.write_text(text.replace(old, new, 1), encoding="utf-8")
        return copy

    one = twin_with(tagged.source, tagged.source + "\nclipping_theta = 1.0")
    other = twin_with(tagged.source, tagged.source + "\nclipping_theta = 2.0")
    assert language_cell_differences(one, other) == [
        "clipping_theta differs (1.0 vs 2.0) but does not depend on the language"
    ]
    assert language_cell_differences(source, one) == ["clipping_theta is defined in one twin only"]
    retagged = twin_with(
        "```{code-cell} ipython3\n" + shared.source,
        "```{code-cell} ipython3\n:tags: [raises-exception]\n\n" + shared.source,
    )
    assert any("other tags" in problem for problem in code_differences(source, retagged))
    reference = GLUE_WITH_FORMAT.search(text)
    typed = twin_with(reference.group(0), "42")
    assert Counter(GLUE_WITH_FORMAT.findall(typed.read_text(encoding="utf-8"))) != Counter(
        GLUE_WITH_FORMAT.findall(text)
    )


@pytest.mark.parametrize("page", toc_pages())
def test_every_translation_follows_the_current_english(page):
    stale = drift.stale_sections(page)
    assert stale == [], (
        f"{page}.md changed in {stale} since its twins were brought in line: translate "
        f"those sections, then run `python ci/twins.py update {page}`"
    )


def test_a_changed_english_section_is_reported():
    page = toc_pages()[-1]
    manifest = {page: {**drift.section_hashes(page)}}
    changed = list(manifest[page])[-1]
    manifest[page][changed] = "an older hash"
    assert drift.stale_sections(page, manifest) == [changed]
    assert drift.stale_sections(page, {}) == list(drift.section_hashes(page))


DIRECTIVE_LINE = re.compile(r"^(`{3,}|:{3,})\{([a-z-]+)\}[ \t]*(\S*)", re.M)
EXERCISE_LABEL = re.compile(r"^:label:\s*(\S+)", re.M)
# a role and its target (`{doc}` text <target>` or `{ref}`target``); a role named in inline code,
# such as "the keys of its `{cite}` roles", is no reference
REFERENCE_ROLES = ("cite", "cite:p", "cite:t", "numref", "ref", "doc", "eq")
CROSS_REFERENCE = re.compile(r"\{(" + "|".join(REFERENCE_ROLES) + r")\}`(?:[^`<]*<)?(\S[^`>\n]*)>?`")
# any other role (`{kbd}`, `{math}`, ...), by name: its content may be in the page's language; glue
# is compared on its own, and a role named inside inline code (preceded by a backtick) is no role
OTHER_ROLE = re.compile(r"(?<!`)\{([a-z][a-z:]*)\}`")


def structure(page_file: Path) -> list[dict]:
    """Per labelled section of a page's prose: heading levels, directives (exercises with their
    labels, solutions with their targets, admonitions, figures), cross-references and citations with
    their targets, and other roles by name; in the twin, only the targets of {doc} links follow the twin's
    language."""
    prose = "\n".join(cell.source for cell in read_notebook(page_file).cells if cell.cell_type == "markdown")
    sections = []
    for text in drift.LABEL.split(prose)[::2]:
        references = [
            (role, target.replace(f"/{page_file.stem}", "/<language>")) if role == "doc" else (role, target)
            for role, target in CROSS_REFERENCE.findall(text)
        ]
        sections.append(
            {
                "headings": re.findall(r"^(#{1,6}) ", text, flags=re.M),
                # a solution's argument is its exercise; an admonition's is its title, in the page's language
                "directives": [
                    (name, argument if name == "solution" else "")
                    for _, name, argument in DIRECTIVE_LINE.findall(text)
                ],
                "labels": EXERCISE_LABEL.findall(text),
                "references": Counter(references),
                "roles": Counter(
                    name
                    for name in OTHER_ROLE.findall(text)
                    if name not in REFERENCE_ROLES and not name.startswith("glue")
                ),
            }
        )
    return sections


@pytest.mark.parametrize("page", toc_pages())
def test_twins_have_the_same_structure_section_by_section(page):
    english = structure(ROOT / f"{page}.md")
    for code in LANGUAGES:
        other = structure(ROOT / f"{twin(page, code)}.md")
        assert len(other) == len(english), f"{twin(page, code)}.md has other sections"
        for number, (a, b) in enumerate(zip(english, other)):
            differing = {key: (a[key], b[key]) for key in a if a[key] != b[key]}
            assert differing == {}, f"{twin(page, code)}.md, section {number}: {differing}"


def test_a_deleted_exercise_is_a_structural_difference(tmp_path):
    folder = chapter_folders()[0]
    text = (folder / f"{SOURCE_LANGUAGE}.md").read_text(encoding="utf-8")
    start = text.index("```{exercise}")
    edited = tmp_path / f"{SOURCE_LANGUAGE}.md"
    edited.write_text(text[:start] + text[text.index("```\n", start + 3) + 4 :], encoding="utf-8")
    assert structure(edited) != structure(folder / f"{SOURCE_LANGUAGE}.md")


def test_a_role_in_one_twin_only_is_a_structural_difference(tmp_path):
    source = ROOT / "chapters" / "10-gru-in-the-browser" / f"{SOURCE_LANGUAGE}.md"
    edited = tmp_path / source.name
    edited.write_text(source.read_text(encoding="utf-8").replace("{kbd}`Tab`", "Tab"), encoding="utf-8")
    assert structure(edited) != structure(source)


@pytest.mark.parametrize("chapter", chapter_folders(), ids=lambda folder: folder.name)
def test_each_twin_names_its_own_language(chapter):
    """Outputs, labels and device names are chosen by `language`: it must be the page's own."""
    for code in LANGUAGES:
        assert language_cell(chapter / f"{code}.md").get("language") == code, f"{chapter.name}/{code}.md"
