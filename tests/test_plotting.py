"""Chinese figure labels render with a CJK font instead of empty boxes (no missing-glyph warning)."""

import io
import warnings

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

from grubook import use_cjk_font  # noqa: E402


def test_chinese_labels_find_their_glyphs():
    use_cjk_font()
    figure, axes = plt.subplots()
    axes.set_xlabel("迭代周期 (epoch)")
    axes.set_title("困惑度 perplexity")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a UserWarning
        figure.savefig(io.BytesIO(), format="svg")
    plt.close(figure)
