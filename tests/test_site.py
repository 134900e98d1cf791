"""The built sites: both languages, twin links both ways, Chinese search, offline MathJax, no errors."""

import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from built_book import CACHE, LANGUAGES, ROOT, SITE, toc_pages, twin

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from bilingual import join_cjk_lines  # noqa: E402
from prose_numbers import E_NOTATION, without_e_notation  # noqa: E402


class LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.twin_links, self.html_lang = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag == "a" and "twin-link" in (attrs.get("class") or "").split():
            self.twin_links.append(attrs)


def parse(page: Path) -> LinkCollector:
    collector = LinkCollector()
    collector.feed(page.read_text(encoding="utf-8"))
    return collector


def built_page(code: str, page: str) -> Path:
    return SITE / code / f"{twin(page, code)}.html"


def test_the_landing_page_offers_every_language():
    landing = (SITE / "index.html").read_text(encoding="utf-8")
    for code in LANGUAGES:
        assert f'href="{code}/index.html"' in landing
        assert (SITE / code / "index.html").exists()


@pytest.mark.parametrize("code", list(LANGUAGES))
@pytest.mark.parametrize("page", toc_pages())
def test_every_page_links_to_its_twins_and_back(code, page):
    path = built_page(code, page)
    links = parse(path).twin_links
    assert sorted(link["hreflang"] for link in links) == sorted(c for c in LANGUAGES if c != code)
    for link in links:
        target = (path.parent / link["href"]).resolve()
        assert target == built_page(link["hreflang"], page).resolve(), f"{path} links to {target}"
        back = [
            (target.parent / link["href"]).resolve()
            for link in parse(target).twin_links
            if link["hreflang"] == code
        ]
        assert back == [path.resolve()], f"{target} does not link back to {path}"


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_pages_declare_their_language(code):
    expected = LANGUAGES[code]["sphinx_language"].replace("_", "-")
    for page in toc_pages():
        assert parse(built_page(code, page)).html_lang == expected


def search_index(code: str) -> dict:
    text = (SITE / code / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1 : text.rindex(")")])


def test_chinese_search_finds_chinese_words_on_the_gru_pages():
    index = search_index("zh")
    documents = index["docnames"]
    for word in ["门控", "重置", "梯度"]:  # words as jieba segments them
        hits = index["terms"].get(word)
        assert hits is not None, f"{word} is not in the Chinese search index (is jieba installed?)"
        hits = hits if isinstance(hits, list) else [hits]
        pages = {documents[i] for i in hits}
        assert any(p.startswith("chapters/") for p in pages), f"{word} finds no chapter: {pages}"


def test_the_chinese_site_speaks_chinese():
    page = built_page("zh", toc_pages()[0]).read_text(encoding="utf-8")
    assert LANGUAGES["zh"]["search_bar_text"] in page
    assert "Search this book" not in page


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_mathjax_is_served_by_the_site(code):
    page = built_page(code, toc_pages()[0]).read_text(encoding="utf-8")
    source = re.search(r'<script[^>]+src="([^"]*tex-chtml\.js)[^"]*"', page)
    assert source and not source.group(1).startswith("http"), "MathJax should load from _static"
    assert (SITE / code / "_static" / "mathjax" / "tex-chtml.js").exists()


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_no_cell_raised_an_error(code):
    assert not (SITE / code / "reports").exists(), "execution reports exist: a notebook failed"
    for notebook in (CACHE / code / "executed").rglob("*.ipynb"):
        outputs = json.loads(notebook.read_text(encoding="utf-8"))
        errors = [o for c in outputs["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert errors == [], f"{notebook}: {errors[0]['ename']}: {errors[0]['evalue']}"
    for path in (SITE / code / "chapters").rglob("*.html"):
        assert "Traceback (most recent call last)" not in path.read_text(encoding="utf-8"), path


def test_wrapped_chinese_lines_do_not_become_spaces():
    """A source line break between Chinese characters must not reach the page as a space."""
    assert join_cjk_lines("门控循环\n单元，\n它") == "门控循环单元，它"
    assert join_cjk_lines("GRU\n门控") == "GRU\n门控"
    for page in toc_pages():
        html = re.sub(r"<pre.*?</pre>", "", built_page("zh", page).read_text(encoding="utf-8"), flags=re.S)
        breaks = re.findall(r".{0,12}[\u4e00-\u9fff，。：；]\n[\u4e00-\u9fff，。].{0,12}", html)
        assert breaks == [], f"{page}: {breaks[:3]}"


def prose_text(html: str) -> str:
    """A built page's words outside code, outputs, maths and tags."""
    for block in (
        r"<pre.*?</pre>",
        r"<code.*?</code>",
        r'<div class="cell_output.*?</div>\s*</div>',
        r"\\\(.*?\\\)",
        r"\\\[.*?\\\]",
        r"<script.*?</script>",
        r"<[^>]+>",
    ):
        html = re.sub(block, " ", html, flags=re.S)
    return html


def test_numbers_in_prose_are_never_in_e_notation():
    assert (
        without_e_notation("2e+07 times, 3.2e-08 and 1E5; d2l, 0x1e3")
        == "2×10⁷ times, 3.2×10⁻⁸ and 1×10⁵; d2l, 0x1e3"
    )
    for code in LANGUAGES:
        for page in toc_pages():
            found = E_NOTATION.findall(prose_text(built_page(code, page).read_text(encoding="utf-8")))
            assert found == [], f"{code}/{page}: e-notation in prose: {found[:3]}"


def test_citations_of_two_papers_by_the_same_authors_in_one_year_differ():
    for code in LANGUAGES:
        bibliography = built_page(code, "book/bibliography/en").read_text(encoding="utf-8")
        labels = re.findall(r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<', bibliography)
        assert len(labels) >= 10 and len(set(labels)) == len(labels), labels
        assert "Cho et al., 2014a" in labels and "Cho et al., 2014b" in labels
        chapter = built_page(code, "chapters/03-full-gru/en").read_text(encoding="utf-8")
        cited = re.sub(r"</?em>", "", chapter)  # the text sets "et al." in italics
        assert "Cho et al., 2014a" in cited and "Cho et al., 2014b" in cited


def test_chinese_solutions_are_titled_after_their_exercise():
    words = LANGUAGES["zh"]["solution_title"]
    after = words.partition("{exercise}")[2]
    pages = [built_page("zh", page).read_text(encoding="utf-8") for page in toc_pages()]
    titles = [
        t
        for html in pages
        for t in re.findall(r'<p class="admonition-title">(.*?)</p>', html)
        if "#" in t and "ex" in t
    ]
    solutions = [t for t in titles if t.endswith(f"</a>{after}")]
    assert len(solutions) >= 10, "the chapters' solutions lost their titles"
    assert not [t for t in titles if re.match(r"[^<]+<a ", t)], "a solution title reads 解答 练习 n"


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_search_and_index_pages_link_to_the_other_languages(code):
    for name in ("search", "genindex"):
        links = parse(SITE / code / f"{name}.html").twin_links
        assert sorted(link["hreflang"] for link in links) == sorted(c for c in LANGUAGES if c != code)
        for link in links:
            target = os.path.normpath(SITE / code / link["href"])
            assert target == os.path.normpath(SITE / link["hreflang"] / f"{name}.html")
