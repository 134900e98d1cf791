"""In a real browser (Debian's chromium, driven by playwright), as readers use the site: on a phone
and a laptop, in both languages. One browser serves every test; every page is opened once at phone
width and measured (`phone_visits`), so the suite stays fast."""

import functools
import re
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from built_book import LANGUAGES, ROOT, SITE, SOURCE_LANGUAGE, toc_pages, twin
from playwright.sync_api import expect

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import search_words  # noqa: E402

PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}
CHAPTERS = [page for page in toc_pages() if page.startswith("chapters/")]
GLOSSARY_PAGE = "book/glossary"

# What a Chinese page may show in Latin letters outside code, maths and citations: names of people,
# software, hardware, licences and formats, units, and the English terms of the glossary (a Chinese
# term may be followed by its English one in full-width parentheses, as Chinese technical writing does).
NAMES = set(
    """
GRU LSTM RNN RNNs minGRU BPTT PyTorch Keras TensorFlow cuDNN oneDNN NVIDIA Intel CUDA CPU GPU TF32 AMD
Ampere Adam SGD Binder Colab Jupyter JupyterLab JupyterHub Book MyST myst nb jupytext Sphinx GitHub
Actions Pages Python NumPy jieba d2l OpenCC Noto Sans SC CJK Debian Linux macOS Windows MIT GPL CC BY
SA SHA UTF Kneser Ney Cho Chung Ng Zhang Bengio Hochreiter Schmidhuber Jozefowicz Karpathy Linzen Feng
Heinsen Pascanu Chen Goodman English x86_64 ipynb pdf md float32 float64 bfloat16 sigmoid tanh softmax
ReLU Ctrl nn torch Frasconi Simard Mikolov Kyunghyun Frobenius PyPI DNA TorchScript Triton autograd
logit EMNLP arXiv Ubisoft Chollet Vega None
""".split()
)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def page(browser):
    page = browser.new_page(viewport=LAPTOP)
    yield page
    page.close()


@pytest.fixture(scope="module")
def phone(browser):
    page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    yield page
    page.close()


# Everything a reader sees in Latin letters, outside code, maths, citations and quoted examples
# (the English sentences chapter 02 studies are set in italics), with the tooltips and labels.
VISIBLE_LATIN_WORDS = r"""() => {
  const skip = 'pre, code, mjx-container, script, style, .highlight, .cell_output, .math, ' +
               'cite, em, .citation, .bibtex-citation, .twin-link, kbd, [lang=en]';
  // the glossary's column of English terms
  for (const table of document.querySelectorAll('table')) {
    const column = [...table.querySelectorAll('th')].findIndex((th) => th.textContent.trim() === 'English');
    if (column >= 0) {
      for (const row of table.querySelectorAll('tr')) row.children[column]?.setAttribute('lang', 'en');
    }
  }
  const words = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    if (!parent || parent.closest(skip) || !parent.checkVisibility()) continue;
    const text = walker.currentNode.textContent.replace(/（[A-Za-z0-9 ,.\-]+）/g, '');
    words.push(...(text.match(/[A-Za-z][A-Za-z0-9_]+/g) || []));
  }
  for (const element of document.querySelectorAll('[title], [aria-label], [alt], [placeholder]')) {
    if (element.closest('.citation, .bibtex-citation, .twin-link')) continue;
    for (const name of ['title', 'aria-label', 'alt', 'placeholder']) {
      const value = element.getAttribute(name) || '';
      words.push(...(value.match(/[A-Za-z][A-Za-z0-9_]+/g) || []));
    }
  }
  return words;
}"""


@pytest.fixture(scope="module")
def phone_visits(site_url, phone):
    """Every page of every language opened once at 390 px: width, console errors, head, words."""
    visits = {}
    for code in LANGUAGES:
        for page_name in toc_pages():
            errors = []

            def on_console(message, errors=errors):
                if message.type == "error":
                    errors.append(message.text)

            def on_error(error, errors=errors):
                errors.append(str(error))

            phone.on("console", on_console)
            phone.on("pageerror", on_error)
            phone.goto(f"{site_url}/{code}/{twin(page_name, code)}.html")
            expect(phone.locator("article")).to_be_visible()
            phone.wait_for_load_state("load")
            visits[code, page_name] = {
                "document_width": phone.evaluate("document.documentElement.scrollWidth"),
                "viewport_width": phone.evaluate("document.documentElement.clientWidth"),
                "viewport_tags": phone.locator("meta[name=viewport]").count(),
                "errors": errors,
                "latin_words": phone.evaluate(VISIBLE_LATIN_WORDS) if code != "en" else [],
                "images": phone.evaluate("""() => [...document.querySelectorAll('article img')]
                    .map(i => ({alt: i.getAttribute('alt') || '', linked: !!i.closest('a'),
                                src: i.getAttribute('src')}))"""),
            }
            phone.remove_listener("console", on_console)
            phone.remove_listener("pageerror", on_error)
    return visits


def test_equations_typeset_and_twin_links_round_trip(site_url, page):
    chapter = CHAPTERS[0]
    page.goto(f"{site_url}/en/{twin(chapter, 'en')}.html")
    expect(page.locator("mjx-container").first).to_be_attached(timeout=20_000)
    page.locator("a.twin-link[hreflang=zh]").first.click()
    page.wait_for_url(f"**/zh/{twin(chapter, 'zh')}.html*")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("mjx-container").first).to_be_attached(timeout=20_000)
    page.locator("a.twin-link[hreflang=en]").first.click()
    page.wait_for_url(f"**/en/{twin(chapter, 'en')}.html*")


def test_the_landing_page_sends_the_reader_to_a_site(site_url, page):
    page.goto(f"{site_url}/index.html")
    page.wait_for_url("**/book/landing/*.html")
    assert page.locator("a.twin-link").count() >= 1


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_phone_reader_opens_the_chapter_list_and_the_page_contents(site_url, phone, code):
    phone.goto(f"{site_url}/{code}/{twin(CHAPTERS[-1], code)}.html")
    button = phone.locator(".primary-toggle:visible").first
    button.tap()
    dialog = phone.locator("#pst-primary-sidebar-modal")
    expect(dialog).to_have_attribute("open", "")
    for chapter in CHAPTERS[:-1]:  # the page being read links to itself as "#"
        expect(dialog.locator(f"a[href*='{chapter.split('/')[1]}']").first).to_be_visible()
    phone.keyboard.press("Escape")
    expect(dialog).not_to_have_attribute("open", "")
    phone.locator(".secondary-toggle:visible").first.tap()
    contents = phone.locator("#pst-secondary-sidebar-modal")
    expect(contents).to_have_attribute("open", "")
    expect(contents.locator("nav a").first).to_be_visible()


def test_a_laptop_reader_folds_the_chapter_list_away(site_url, page):
    page.goto(f"{site_url}/en/{twin(CHAPTERS[0], 'en')}.html")
    sidebar = page.locator("#pst-primary-sidebar")
    expect(sidebar).to_be_visible()
    page.locator(".primary-toggle:visible").first.click()
    expect(sidebar).to_be_hidden()


def test_no_page_scrolls_sideways_on_a_phone(phone_visits):
    wide = {
        f"{code}/{name}": f"{v['document_width']} px in {v['viewport_width']} px"
        for (code, name), v in phone_visits.items()
        if v["document_width"] > v["viewport_width"]
    }
    assert wide == {}, f"wider than the phone: {wide}"


def test_no_page_logs_a_javascript_error_and_each_has_one_viewport_tag(phone_visits):
    errors = {f"{code}/{name}": v["errors"] for (code, name), v in phone_visits.items() if v["errors"]}
    assert errors == {}
    tags = {
        f"{code}/{name}": v["viewport_tags"]
        for (code, name), v in phone_visits.items()
        if v["viewport_tags"] != 1
    }
    assert tags == {}


def glossary_english_words() -> set[str]:
    path = ROOT / f"{GLOSSARY_PAGE}/{SOURCE_LANGUAGE}.md"
    rows = [
        line.split("|")[1]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ]
    return {word for row in rows[1:] for word in re.findall(r"[A-Za-z][A-Za-z0-9_]+", row)}


def test_chinese_pages_show_no_english_outside_code_maths_names_and_citations(phone_visits):
    allowed = NAMES | glossary_english_words()
    english = {}
    for (code, name), visit in phone_visits.items():
        if code == "zh":
            words = sorted(set(visit["latin_words"]) - allowed)
            if words:
                english[name] = words
    assert english == {}, f"English on the Chinese site (translate it, or allow a name): {english}"


def test_every_figure_has_alt_text_in_words_and_opens_full_size(phone_visits):
    problems = []
    for (code, name), visit in phone_visits.items():
        for image in visit["images"]:
            if not image["alt"] or "/" in image["alt"] or image["alt"].endswith((".svg", ".png")):
                problems.append(f"{code}/{name}: {image['src']} has alt text {image['alt']!r}")
            if not image["linked"]:
                problems.append(f"{code}/{name}: {image['src']} does not open full size")
    assert problems == [], "\n".join(problems)


def glossary_terms(code: str) -> list[str]:
    """The terms of one language's glossary (book/_ext/search_words.py reads them the same way for
    jieba); Sphinx's search leaves out one-character words such as 门."""
    return [
        term
        for term in search_words.glossary_terms(ROOT / f"{GLOSSARY_PAGE}/{code}.md", column=0)
        if len(term) >= 2
    ]


@pytest.mark.parametrize("code", LANGUAGES)
def test_search_finds_every_glossary_term_on_a_page_besides_the_glossary(site_url, page, code):
    page.goto(f"{site_url}/{code}/search.html")
    page.wait_for_function("typeof Search !== 'undefined' && Search.hasIndex()")
    found = page.evaluate(
        """(terms) => Object.fromEntries(terms.map((term) => {
        const results = Search._performSearch(...Search._parseQuery(term));
        return [term, results.map((result) => result[0])];
    }))""",
        glossary_terms(code),
    )
    missing = [
        term for term, pages in found.items() if not any(not p.startswith(GLOSSARY_PAGE) for p in pages)
    ]
    assert len(found) >= 20
    assert missing == [], f"no page but the glossary found for: {missing}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_search_results_quote_the_text_without_tex_source(site_url, page, code):
    term = {"en": "update gate", "zh": "更新门"}[code]
    page.goto(f"{site_url}/{code}/search.html?q={term}")
    summaries = page.locator("#search-results p.context")
    expect(summaries.first).to_be_visible(timeout=20_000)
    page.wait_for_timeout(500)
    for text in summaries.all_text_contents():
        assert not re.search(r"\\[A-Za-z]+|\\\(|\$", text), text


def test_the_language_switch_keeps_the_section_being_read(site_url, page):
    instructors = "book/instructors/en"
    label = re.findall(
        r"^\(([a-z0-9-]+)\)=$", (ROOT / f"{instructors}.md").read_text(encoding="utf-8"), flags=re.M
    )[2]
    page.goto(f"{site_url}/en/{instructors}.html#{label}")
    page.wait_for_load_state("load")
    # the header with the link stays at the top of the window: click it where it is, no scrolling
    page.locator("a.twin-link[hreflang=zh]").first.dispatch_event("click")
    page.wait_for_url(f"**/zh/{twin(instructors, 'zh')}.html#{label}")
    expect(page.locator(f"section#{label}")).to_be_in_viewport()
