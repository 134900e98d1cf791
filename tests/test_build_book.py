"""ci/build_book.py: a change to grubook or the requirements makes the next full build start afresh;
a failing notebook's own error is what the build prints last."""

import importlib.util
import traceback

import nbformat
from built_book import ROOT
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

spec = importlib.util.spec_from_file_location("build_book", ROOT / "ci" / "build_book.py")
build_book = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_book)

STALE = (".jupyter_cache", "shared-results", "languages/en/_build/.doctrees", "chapters/04-gru-scratch")


def test_changed_inputs_forget_results_and_sphinx_environments(tmp_path, monkeypatch):
    monkeypatch.setattr(build_book, "BUILD", tmp_path)
    for folder in STALE:
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "results-inputs.sha256").write_text("the digest of older inputs")
    build_book.forget_stale_results()
    assert not any((tmp_path / folder).exists() for folder in STALE)
    # unchanged inputs: nothing is forgotten
    for folder in STALE:
        (tmp_path / folder).mkdir(parents=True)
    build_book.forget_stale_results()
    assert all((tmp_path / folder).exists() for folder in STALE)


def test_a_failing_cell_and_its_exception_are_found_in_the_report(tmp_path):
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell(
                'prefix = "xyz"\nraise ValueError(f"prefix {prefix!r} is not in the vocabulary")'
            ),
        ]
    )
    try:
        NotebookClient(notebook, timeout=60, resources={"metadata": {"path": str(tmp_path)}}).execute()
    except CellExecutionError:
        report = traceback.format_exc()  # what jupyter-cache stores and myst-nb writes to *.err.log
    cell, error = build_book.failure_summary(report)
    assert cell == notebook.cells[1].source
    assert error == "ValueError: prefix 'xyz' is not in the vocabulary"
    # in the build's own output, the tools that report the failure raise after it
    output = (
        "Sphinx says\n"
        + report
        + (
            "\nThe above exception was the direct cause of the following exception:\n\n"
            "Traceback (most recent call last):\nRuntimeError: There was an error in building your book\n"
        )
    )
    assert build_book.failure_summary(output) == (notebook.cells[1].source, error)
