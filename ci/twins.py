"""Which English version each translated page follows, section by section.

    python ci/twins.py status            # the pages whose English changed since their twins were updated
    python ci/twins.py update PAGE ...   # record that PAGE's twins now follow its English (e.g.
                                         # chapters/05-concise-gru/en); `update --all` records every page

A twin is brought in line by hand; this file remembers what it was brought in line with. For every
English page of _toc.yml, `book/twins.yml` holds a hash of the prose of each section (the text under
a labelled heading, code cells left out: tests/test_twins.py keeps the code identical). When the
English prose of a section changes, the hash no longer matches and tests/test_twins.py names the page
and the sections to translate again; after translating, run `update` for that page.
"""

import argparse
import hashlib
import re
import sys
from pathlib import Path

import jupytext
import yaml

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "book" / "twins.yml"
LABEL = re.compile(r"^\(([A-Za-z0-9_-]+)\)=\s*$", re.M)


def english_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + [entry["file"] for entry in toc["chapters"]]


def section_hashes(page: str) -> dict[str, str]:
    """Section label ("start" before the first label) -> hash of that section's English prose."""
    notebook = jupytext.read(ROOT / f"{page}.md")
    prose = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    names, parts = ["start"], LABEL.split(prose)
    sections = {"start": parts[0]}
    for label, text in zip(parts[1::2], parts[2::2]):
        names.append(label)
        sections[label] = text
    return {
        name: hashlib.sha256(" ".join(sections[name].split()).encode()).hexdigest()[:12] for name in names
    }


def recorded() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8")) if MANIFEST.exists() else {}


def stale_sections(page: str, manifest: dict | None = None) -> list[str]:
    """The sections of `page` whose English changed since its twins were last brought in line."""
    manifest = recorded() if manifest is None else manifest
    then, now = manifest.get(page, {}), section_hashes(page)
    return [name for name in now if then.get(name) != now[name]] + [
        f"{name} (removed)" for name in then if name not in now
    ]


def update(pages: list[str]) -> None:
    manifest = recorded()
    for page in pages:
        manifest[page] = section_hashes(page)
    manifest = {page: manifest[page] for page in english_pages() if page in manifest}
    header = (
        "# Written by `python ci/twins.py update`: what each page's twins were last brought in line with.\n"
    )
    MANIFEST.write_text(header + yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["status", "update"])
    parser.add_argument("pages", nargs="*", help="English pages as in _toc.yml (update only)")
    parser.add_argument("--all", action="store_true", help="update every page")
    args = parser.parse_args()
    pages = english_pages()
    if args.command == "update":
        unknown = [p for p in args.pages if p not in pages]
        if unknown or not (args.pages or args.all):
            sys.exit(f"name pages of _toc.yml (or --all); unknown: {', '.join(unknown) or 'none given'}")
        update(pages if args.all else args.pages)
        return
    stale = {page: stale_sections(page) for page in pages}
    stale = {page: sections for page, sections in stale.items() if sections}
    for page, sections in stale.items():
        print(
            f"{page}: English changed in {', '.join(sections)}; bring its twins in line, then "
            f"`python ci/twins.py update {page}`"
        )
    print(
        f"{len(stale)} of {len(pages)} pages have twins behind their English"
        if stale
        else f"all {len(pages)} pages' twins follow their English"
    )


if __name__ == "__main__":
    main()
