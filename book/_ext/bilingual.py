"""Sphinx extension: one site per language, each page linked to its twins.

The twin rule: the page `<folder>/<code>.md` of one language is `<folder>/<other code>.md` in the
other, and each language's site is built into `_build/html/<code>/`. The languages are listed in
`book/languages.yml`; the site being built is the one whose `sphinx_language` equals Sphinx's
`language` setting.
"""

import re
from pathlib import Path

import yaml
from docutils import nodes

# A line break between two CJK characters (or CJK punctuation) is not a space in Chinese text.
CJK = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
CJK_LINE_BREAK = re.compile(rf"(?<={CJK})\n(?={CJK})")

LANGUAGES_FILE = Path(__file__).resolve().parents[1] / "languages.yml"


def load_languages() -> dict:
    """The languages of the book, in the order of book/languages.yml."""
    return yaml.safe_load(LANGUAGES_FILE.read_text(encoding="utf-8"))


def page_language(pagename: str, languages: dict) -> str | None:
    """The language code a page's name ends with (`chapters/01-x/zh` -> `zh`), else None."""
    stem = pagename.rsplit("/", 1)[-1]
    return stem if stem in languages else None


def twin_pagename(pagename: str, code: str) -> str:
    """The same page in language `code`: the last path component is swapped."""
    folder, _, _ = pagename.rpartition("/")
    return f"{folder}/{code}" if folder else code


def twin_url(pagename: str, code: str) -> str:
    """Relative URL from a page of one site to its twin in the site of language `code`."""
    up = "../" * (pagename.count("/") + 1)
    return f"{up}{code}/{twin_pagename(pagename, code)}.html"


def site_language(sphinx_language: str, languages: dict) -> str:
    for code, info in languages.items():
        if info["sphinx_language"] == sphinx_language:
            return code
    raise ValueError(f"Sphinx language {sphinx_language!r} is not in {LANGUAGES_FILE}: add an entry for it")


# Pages Sphinx makes for each site, the same name in every language.
SITE_PAGES = ("search", "genindex")


def _add_twin_links(app, pagename, templatename, context, doctree):
    languages = load_languages()
    current = site_language(app.config.language, languages)
    if pagename in SITE_PAGES:
        url = lambda code: f"../{code}/{pagename}.html"  # noqa: E731
    elif page_language(pagename, languages) == current:
        url = lambda code: twin_url(pagename, code)  # noqa: E731
    else:
        context["twin_links"] = []
        return
    context["twin_links"] = [
        {"code": code, "name": info["name"], "url": url(code)}
        for code, info in languages.items()
        if code != current
    ]


def _check_page_names(app, env):
    """Every page of this site must follow the twin rule, or its twin link would be wrong."""
    languages = load_languages()
    current = site_language(app.config.language, languages)
    wrong = [d for d in env.found_docs if page_language(d, languages) != current]
    if wrong:
        raise ValueError(
            f"pages {sorted(wrong)} do not end in /{current}: name each page <folder>/<language>.md"
        )


def join_cjk_lines(text: str) -> str:
    """Remove the line breaks of wrapped source lines between CJK characters."""
    return CJK_LINE_BREAK.sub("", text)


def _is_cjk(char: str) -> bool:
    return bool(re.fullmatch(CJK, char))


def _join_cjk_lines_in_prose(app, doctree):
    """MyST keeps each wrapped line break as a Text node of its own ("\n") between the text (or
    inline markup) before and after it: drop it where CJK characters stand on both sides."""
    if not app.config.language.startswith("zh"):
        return
    skip = (nodes.literal_block, nodes.literal, nodes.math, nodes.math_block, nodes.raw)
    for text in list(doctree.findall(nodes.Text)):
        parent = text.parent
        if parent is None or isinstance(parent, skip):
            continue
        # Text nodes are strings and compare equal by content: find this one by identity.
        index = next(i for i, child in enumerate(parent.children) if child is text)
        joined = join_cjk_lines(text.astext())
        if joined == "\n":
            before = parent[index - 1].astext() if index > 0 else ""
            after = parent[index + 1].astext() if index + 1 < len(parent) else ""
            if before and after and _is_cjk(before[-1]) and _is_cjk(after[0]):
                joined = ""
        if joined != text.astext():
            parent[index] = nodes.Text(joined)


def setup(app):
    app.connect("doctree-read", _join_cjk_lines_in_prose)
    app.connect("env-updated", _check_page_names)
    app.connect("html-page-context", _add_twin_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
