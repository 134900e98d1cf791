"""Build the book: one Jupyter Book site per language, then a landing page that picks one.

    python ci/build_book.py                 # every language, every page
    python ci/build_book.py --only 04-gru-scratch   # the landing pages and one chapter (fast)

Each language gets a config and a table of contents derived from the top-level `_config.yml` and
`_toc.yml` (the English ones) by the overrides in `book/languages.yml` and the twin rule
`<folder>/en.md` <-> `<folder>/<code>.md`. Notebooks execute through myst-nb's cache, so a rebuild
with nothing changed executes nothing. Warnings are errors; on failure the executed notebooks' logs
are printed.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
MATHJAX_VERSION = "3.2.2"
MATHJAX_PARTS = ["tex-chtml.js", "input", "output/chtml", "ui", "a11y", "adaptors"]
SOURCE_LANGUAGE = "en"


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def language_config(base: dict, code: str, info: dict) -> dict:
    """`_config.yml` with one language's title, author, Sphinx language, search box text and the
    settings listed under its `sphinx_config`."""
    config = yaml.safe_load(yaml.safe_dump(base))  # a deep copy
    config["title"] = info["title"]
    config["author"] = info.get("author", config["author"])
    sphinx_config = config["sphinx"]["config"]
    sphinx_config.update(info.get("sphinx_config", {}))
    sphinx_config["language"] = info["sphinx_language"]
    sphinx_config["html_theme_options"]["search_bar_text"] = info["search_bar_text"]
    # The generated config sits in _build/: point the local extension back at the repository.
    config["sphinx"]["local_extensions"] = {
        name: str(ROOT / path) for name, path in config["sphinx"]["local_extensions"].items()
    }
    config["execute"]["cache"] = str(BUILD / ".jupyter_cache" / code)
    return config


def twin_file(path: str, code: str) -> str:
    folder, _, stem = path.rpartition("/")
    if stem != SOURCE_LANGUAGE:
        raise ValueError(f"_toc.yml entry {path!r} does not follow the rule <folder>/{SOURCE_LANGUAGE}")
    return f"{folder}/{code}"


def language_toc(toc: dict, code: str, only: str | None) -> dict:
    """The table of contents of language `code`; with `only`, the book pages plus that chapter."""
    entries = [
        e
        for e in toc["chapters"]
        if only is None or not e["file"].startswith("chapters/") or e["file"].startswith(f"chapters/{only}/")
    ]
    if only is not None and not any(e["file"].startswith(f"chapters/{only}/") for e in entries):
        names = sorted(
            {e["file"].split("/")[1] for e in toc["chapters"] if e["file"].startswith("chapters/")}
        )
        raise SystemExit(f"no chapter named {only!r} in _toc.yml; chapters: {', '.join(names)}")
    return {
        "format": toc["format"],
        "root": twin_file(toc["root"], code),
        "chapters": [{**e, "file": twin_file(e["file"], code)} for e in entries],
    }


def forget_stale_results() -> None:
    """The execution cache keys a notebook by its code alone, but its results also depend on the
    `grubook` package and the pinned dependencies: when those change, forget every cached result.
    (Only full builds check, because single-chapter builds may run side by side on one cache.)"""
    inputs = sorted((ROOT / "src" / "grubook").rglob("*.py")) + sorted(ROOT.glob("requirements*.txt"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in inputs)).hexdigest()
    stamp = BUILD / "results-inputs.sha256"
    if stamp.exists() and stamp.read_text() != digest:
        print("grubook or the requirements changed: executing every notebook afresh")
        # The sites' Sphinx environments go too: Sphinx re-reads only the sources that changed, so
        # with them kept, an unchanged chapter would be neither executed nor found in the cache.
        for folder in (
            BUILD / ".jupyter_cache",
            BUILD / "shared-results",
            BUILD / "languages",
            BUILD / "chapters",
        ):
            shutil.rmtree(folder, ignore_errors=True)
    BUILD.mkdir(exist_ok=True)
    stamp.write_text(digest)


def install_mathjax() -> Path:
    """MathJax served by the site itself, so equations typeset offline and in CI's browser test."""
    static = BUILD / "mathjax-static"
    if (static / "mathjax" / "tex-chtml.js").exists():
        return static
    npm_dir = BUILD / "mathjax-npm"
    subprocess.run(
        [
            "npm",
            "install",
            "--silent",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(npm_dir),
            f"mathjax@{MATHJAX_VERSION}",
        ],
        check=True,
    )
    es5 = npm_dir / "node_modules" / "mathjax" / "es5"
    for part in MATHJAX_PARTS:
        source, target = es5 / part, static / "mathjax" / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
    return static


def build_language(code: str, info: dict, only: str | None) -> Path:
    """Build one site; returns the folder of its HTML pages.

    The whole book goes to _build/html/<code>/. A single chapter (`only`) is built in a folder of its
    own, _build/chapters/<chapter>/<code>/, so that builds of different chapters can run side by side;
    all builds share the execution cache.
    """
    work = BUILD / "languages" / code if only is None else BUILD / "chapters" / only / code
    work.mkdir(parents=True, exist_ok=True)
    config_path, toc_path = work / "_config.yml", work / "_toc.yml"
    config = language_config(load_yaml(ROOT / "_config.yml"), code, info)
    if only is not None:  # links to chapters left out of this build are expected to dangle
        config["sphinx"]["config"].setdefault("suppress_warnings", []).append("ref.doc")
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    toc = language_toc(load_yaml(ROOT / "_toc.yml"), code, only)
    toc_path.write_text(yaml.safe_dump(toc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    html = work / "_build" / "html"
    if only is None and html.exists():  # Sphinx never deletes the pages of removed sources
        shutil.rmtree(html)
    # jupyter-book's output goes to the terminal as it comes, and is kept: when a notebook fails, its
    # cell and exception are found in it and printed last, below Sphinx's and jupyter-book's tracebacks.
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("jupyter-book")),
            "build",
            str(ROOT),
            "--config",
            str(config_path),
            "--toc",
            str(toc_path),
            "--path-output",
            str(work),
            "-W",
            "-n",
            "--keep-going",
        ],
        env={**os.environ, "TQDM_DISABLE": "1", "PYTHONHASHSEED": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    output = []
    for line in process.stdout:
        sys.stdout.write(line)
        output.append(line)
    if process.wait() != 0:
        logs = sorted((html / "reports").rglob("*.err.log")) if (html / "reports").exists() else []
        reports = [(log.stem.removesuffix(".err"), log.read_text(encoding="utf-8")) for log in logs]
        for log, (_, text) in zip(logs, reports):
            print(f"\n===== {log.relative_to(ROOT)} =====\n{text}")
        failed = "".join(output)
        if not reports and CELL_FAILED in failed:
            reports = [("a notebook", failed[failed.rindex(CELL_FAILED) :])]
        for name, text in reports:
            cell, error = failure_summary(text)
            print(f"\n===== {name} failed in this cell =====\n{cell}\n\n{error}")
        sys.stdout.flush()
        raise SystemExit(
            f"the {info['name']} site failed to build"
            + (": a notebook raised an error (above)" if reports else " (see the messages above)")
        )
    if only is not None:
        page = html / f"{twin_file(f'chapters/{only}/{SOURCE_LANGUAGE}', code)}.html"
        print(f"{info['name']}: open {page} ({BUILD / 'html'} keeps the last full build: `make book`)")
        return html
    site = BUILD / "html" / code
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(html, site)
    return site


ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")
CELL_FAILED = "An error occurred while executing the following cell:"
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b.*$", re.M)


def failure_summary(log: str) -> tuple[str, str]:
    """(the cell that raised, the exception line) from an execution report of myst-nb or the build's
    output: nbclient's CellExecutionError, the cell between two rules of dashes, then the cell's
    traceback, whose last exception line is the cell's own (what follows "The above exception ..."
    belongs to the tools that reported it)."""
    log = ANSI_CODE.sub("", log)
    log = log[log.find(CELL_FAILED) :] if CELL_FAILED in log else log
    log = log.split("\nThe above exception was the direct cause")[0]
    cell = re.search(r"executing the following cell:\n-+\n(.*?)\n-+\n", log, re.S)
    errors = [match.group(0) for match in EXCEPTION_LINE.finditer(log)]
    return (
        cell.group(1) if cell else "(the cell is not in the report)",
        errors[-1] if errors else "(no exception line in the report)",
    )


def write_landing(languages: dict) -> Path:
    """_build/html/index.html: sends the reader to the site in their browser's language."""
    links = "\n".join(
        f'  <li><a href="{code}/index.html" hreflang="{code}" lang="{code}">'
        f"{info['title']} ({info['name']})</a></li>"
        for code, info in languages.items()
    )
    codes = list(languages)
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{languages[codes[0]]["title"]}</title>
<script>
  // Pick the site whose language the browser prefers; the list below works without scripts.
  const codes = {codes!r};
  const wanted = (navigator.languages || [navigator.language || "{codes[0]}"]).map(l => l.slice(0, 2));
  const code = wanted.find(l => codes.includes(l)) || codes[0];
  window.location.replace(code + "/index.html");
</script></head>
<body><ul>
{links}
</ul></body></html>
"""
    path = BUILD / "html" / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", metavar="CHAPTER", help="build the book pages and this chapter folder only")
    parser.add_argument("--language", action="append", help="build only this language (repeatable)")
    args = parser.parse_args()
    languages = load_yaml(ROOT / "book" / "languages.yml")
    install_mathjax()
    if args.only is None:
        forget_stale_results()
    built = []
    for code, info in languages.items():
        if args.language and code not in args.language:
            continue
        start = time.perf_counter()
        site = build_language(code, info, args.only)
        built.append(
            f"built the {info['name']} site in {time.perf_counter() - start:.0f} s: {site / 'index.html'}"
        )
    print("\n" + "\n".join(built))
    if args.only is None:
        landing = write_landing(languages)
        print(f"open {landing} in a browser (or run `make serve` and open http://localhost:8000/)")


if __name__ == "__main__":
    main()
