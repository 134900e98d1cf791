"""grubook.computed_once: one computation per build for both twins, recomputed when the code changes."""

import pytest

from grubook import computed_once

CHAPTER = """# A chapter

```{code-cell} ipython3
:tags: [lang-specific]

corpus_name = "shakespeare"
```

```{code-cell} ipython3
result = computed_once("answer", lambda: 42)
```
"""


def make_book(tmp_path, chapter_text=CHAPTER):
    (tmp_path / "_toc.yml").write_text("root: x\n")
    chapter = tmp_path / "chapters" / "99-test"
    chapter.mkdir(parents=True, exist_ok=True)
    (chapter / "en.md").write_text(chapter_text)
    return chapter


def test_the_second_twin_reuses_the_first_result(tmp_path):
    chapter, calls = make_book(tmp_path), []
    first = computed_once("answer", lambda: calls.append(1) or {"value": 42}, chapter)
    second = computed_once("answer", lambda: calls.append(1) or {"value": 0}, chapter)
    assert first == second == {"value": 42}
    assert calls == [1]
    assert list((tmp_path / "_build" / "shared-results" / "99-test").glob("answer-*.pickle"))


def test_a_changed_shared_cell_recomputes_but_a_language_cell_does_not(tmp_path):
    chapter = make_book(tmp_path)
    assert computed_once("answer", lambda: 1, chapter) == 1
    make_book(tmp_path, CHAPTER.replace('"shakespeare"', '"tang_poems"'))
    assert computed_once("answer", lambda: 2, chapter) == 1
    make_book(tmp_path, CHAPTER.replace("lambda: 42", "lambda: 43"))
    assert computed_once("answer", lambda: 3, chapter) == 3


def test_outside_the_book_it_always_computes(tmp_path):
    assert computed_once("answer", lambda: 1, tmp_path) == 1
    assert computed_once("answer", lambda: 2, tmp_path) == 2


def test_twins_that_run_different_code_share_nothing(tmp_path):
    chapter = make_book(tmp_path)
    (chapter / "zh.md").write_text(CHAPTER.replace("lambda: 42", "lambda: 43"))
    with pytest.raises(ValueError, match="zh.md in 99-test run other shared code than en.md"):
        computed_once("answer", lambda: 1, chapter)
    (chapter / "zh.md").write_text(CHAPTER.replace('"shakespeare"', '"tang_poems"'))
    assert computed_once("answer", lambda: 2, chapter) == 2  # a language cell may differ


def test_cell_options_such_as_a_translated_caption_are_not_code(tmp_path):
    figure = CHAPTER.replace(
        "```{code-cell} ipython3\nresult",
        "```{code-cell} ipython3\n---\nmystnb:\n  figure:\n    caption: CAPTION\n---\nresult",
    )
    chapter = make_book(tmp_path, figure.replace("CAPTION", "The answer"))
    (chapter / "zh.md").write_text(figure.replace("CAPTION", "答案"))
    assert computed_once("answer", lambda: 1, chapter) == 1
    assert computed_once("answer", lambda: 2, chapter) == 1  # shared: the captions are not code
