"""Sphinx extension: Chinese search finds the glossary's terms.

Sphinx indexes Chinese text as the words jieba cuts it into, and jieba's own dictionary cuts 困惑度
into 困惑 + 度 and 更新门 into 更新 + 门, so a reader searching for the book's terms found nothing.
The glossary's terms become jieba's user dictionary (`html_search_options["dict"]`), written next
to the site's doctrees at every build from book/glossary/<code>.md, the one list of terms.
"""

import re
from pathlib import Path

from bilingual import load_languages, site_language

GLOSSARY = Path(__file__).resolve().parents[1] / "glossary"
TERM_FREQUENCY = 100_000  # high enough that jieba keeps a term whole rather than cut it


def glossary_terms(path: Path, column: int) -> list[str]:
    """The terms in one column of the glossary's table; "门控 / 门" gives both words, and a
    parenthesised gloss ("谱范数（最大奇异值）") is left out."""
    rows = [
        line.split("|")[1:-1]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ]
    terms = []
    for row in rows[1:]:
        terms += [" ".join(re.sub(r"\(.*?\)|（.*?）", "", term).split()) for term in row[column].split("/")]
    return [term for term in terms if term]


def _use_glossary_as_user_dictionary(app, config):
    code = site_language(config.language, load_languages())
    if code != "zh":
        return
    terms = glossary_terms(GLOSSARY / f"{code}.md", column=0)
    path = Path(app.doctreedir) / "jieba-user-dictionary.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{term} {TERM_FREQUENCY}\n" for term in terms), encoding="utf-8")
    config.html_search_options = {**config.html_search_options, "dict": str(path)}


def setup(app):
    app.connect("config-inited", _use_glossary_as_user_dictionary)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
