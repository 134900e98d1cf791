"""The two glossaries pair the same terms, so both editions name each idea the same way."""

from built_book import ROOT


def term_pairs(path, english_column: int, chinese_column: int) -> list[tuple[str, str]]:
    rows = [
        line.split("|")[1:-1]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ]
    return [(row[english_column].strip(), row[chinese_column].strip()) for row in rows[1:]]


def test_both_glossaries_pair_the_same_terms():
    english = term_pairs(ROOT / "book" / "glossary" / "en.md", 0, 1)
    chinese = term_pairs(ROOT / "book" / "glossary" / "zh.md", 1, 0)
    assert len(english) >= 20
    assert english == chinese


def test_chinese_chapters_use_the_glossary_terms_for_the_gates():
    for chapter in (ROOT / "chapters").iterdir():
        text = (chapter / "zh.md").read_text(encoding="utf-8")
        for avoided, term in [("复位门", "重置门"), ("更新闸", "更新门"), ("候选隐藏状态", "候选隐状态")]:
            assert avoided not in text, f"{chapter.name}/zh.md writes {avoided}; the glossary says {term}"
