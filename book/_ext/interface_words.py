"""Sphinx extension: the site's interface in the page's language.

The theme and the extensions translate their buttons, tooltips and footers through message catalogs,
but their Chinese catalogs miss words ("Repository", "Link to this heading") or use Taiwan usage
("列印"). `book/languages.yml` gives each language its own words:

- `interface`: catalog -> {English message: words}; put in front of the installed catalogs, so they
  win over the theme's own translation or its lack of one;
- `attributes`: tooltips and labels the theme writes into its templates and scripts in English only;
  book/_static/site.js replaces them in the reader's browser;
- `solution_title`: how a solution's title names its exercise ("{exercise}的解答"), since the
  exercise extension always writes "<Solution to> <Exercise n>" in that order.

Settings with words in them (the author, the show/hide hints of solutions) are in each language's
`sphinx_config`, which ci/build_book.py merges into that site's configuration.
"""

import json
import re

from bilingual import load_languages, site_language
from sphinx import locale

SOLUTION_TITLE = re.compile(
    r'<p class="admonition-title">(?P<solution>[^<]*?)\s*'
    r'(?P<link><a class="reference internal" href="[^"]*">)\s*'
    r"(?P<exercise>[^<]*)</a></p>"
)


def words_of(app) -> dict:
    languages = load_languages()
    return languages[site_language(app.config.language, languages)]


def _add_site_script(app, config):
    attributes = words_of(app).get("attributes", {})
    app.add_js_file(None, body=f"const BOOK_ATTRIBUTE_WORDS = {json.dumps(attributes, ensure_ascii=False)};")
    app.add_js_file("site.js")


def _use_interface_words(app):
    for catalog, messages in words_of(app).get("interface", {}).items():
        translator = locale.translators.get(("general", catalog))
        if not hasattr(translator, "_catalog"):
            raise ValueError(
                f"book/languages.yml gives words for the message catalog {catalog!r}, "
                f"which no installed extension has for language {app.config.language!r}: "
                f"remove the entry or check the catalog's name"
            )
        translator._catalog.update(messages)  # in place: Jinja's templates hold this translator


def reorder_solution_titles(body: str, pattern: str) -> str:
    """'解答<a ...> 练习 1</a>' -> '<a ...>练习 1</a>的解答' for a pattern like '{exercise}的解答'."""
    before, _, after = pattern.partition("{exercise}")

    def reorder(match):
        return f'<p class="admonition-title">{before}{match["link"]}{match["exercise"]}</a>{after}</p>'

    return SOLUTION_TITLE.sub(reorder, body)


def _reorder_solution_titles(app, pagename, templatename, context, doctree):
    pattern = words_of(app).get("solution_title")
    if pattern and "body" in context:
        context["body"] = reorder_solution_titles(context["body"], pattern)


def setup(app):
    app.connect("config-inited", _add_site_script)
    app.connect("builder-inited", _use_interface_words)
    app.connect("html-page-context", _reorder_solution_titles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
