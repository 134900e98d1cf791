"""Sphinx extension: the bibliography labels its entries the way the text cites them.

The text cites author-year ("Cho et al., 2014a"); sphinxcontrib-bibtex labels the bibliography with
pybtex's alpha labels ("[CvMerrienboerBB14]") unless told otherwise. This registers a pybtex label
style that writes the in-text form, and an entry style (pybtex's unsrt) that uses it: `_config.yml`
selects it with `bibtex_default_style: author_year_labels`. Two papers by the same authors in one
year carry the letter in their `year` field (2014a, 2014b), as author-year bibliographies do, so the
text and the list tell them apart alike.
"""

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle

STYLE_NAME = "author_year_labels"


def surname(person) -> str:
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


def author_year(entry) -> str:
    """'Kneser and Ney, 1995', 'Cho et al., 2014a', as sphinxcontrib-bibtex's author_year cites."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    if not people:
        names = Text.from_latex(entry.fields.get("organization", entry.key)).render_as("text")
    elif len(people) == 1:
        names = surname(people[0])
    elif len(people) == 2:
        names = f"{surname(people[0])} and {surname(people[1])}"
    else:
        names = f"{surname(people[0])} et al."
    return f"{names}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            yield author_year(entry)


class AuthorYearEntries(UnsrtStyle):
    default_label_style = STYLE_NAME
    default_sorting_style = "author_year_title"


def setup(app):
    register_plugin("pybtex.style.labels", STYLE_NAME, AuthorYearLabels)
    register_plugin("pybtex.style.formatting", STYLE_NAME, AuthorYearEntries)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
