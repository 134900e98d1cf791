"""In a real browser (Debian's chromium, driven by playwright): equations typeset, twin links work."""

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect, sync_playwright

from built_book import SITE, toc_pages, twin

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHAPTER = next(page for page in toc_pages() if page.startswith("chapters/"))


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
def page():
    assert CHROMIUM, "no chromium on PATH: run ci/install_system_packages.sh (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser.new_page()
        browser.close()


def test_equations_typeset_and_twin_links_round_trip(site_url, page):
    page.goto(f"{site_url}/en/{twin(CHAPTER, 'en')}.html")
    expect(page.locator("mjx-container").first).to_be_attached(timeout=20_000)
    page.locator("a.twin-link[hreflang=zh]").first.click()
    page.wait_for_url(f"**/zh/{twin(CHAPTER, 'zh')}.html")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("mjx-container").first).to_be_attached(timeout=20_000)
    page.locator("a.twin-link[hreflang=en]").first.click()
    page.wait_for_url(f"**/en/{twin(CHAPTER, 'en')}.html")


def test_the_landing_page_sends_the_reader_to_a_site(site_url, page):
    page.goto(f"{site_url}/index.html")
    page.wait_for_url("**/book/landing/*.html")
    assert page.locator("a.twin-link").count() >= 1
