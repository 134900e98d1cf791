"""Figures that show Chinese text: register a CJK font with matplotlib."""

from pathlib import Path

import matplotlib
from matplotlib import font_manager

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FONT_NAME = "Noto Sans CJK SC"


def use_cjk_font() -> str:
    """Make matplotlib fall back to Noto Sans CJK SC (from PyPI `mplfonts`) for Chinese glyphs.

    Latin text keeps the default font; characters it lacks are drawn with the CJK font instead of
    empty boxes. Returns the font's family name.
    """
    try:
        import mplfonts
    except ImportError as error:
        raise ImportError(
            "Chinese figure labels need the Noto Sans CJK font from mplfonts: pip install mplfonts==0.0.11"
        ) from error
    path = Path(mplfonts.__file__).parent / "fonts" / CJK_FONT_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: pip install --force-reinstall mplfonts==0.0.11")
    font_manager.fontManager.addfont(str(path))
    # Matplotlib falls back glyph by glyph across the entries of font.family (not within the
    # sans-serif list), so the CJK font becomes the second family after the default sans-serif one.
    default_font = matplotlib.rcParams["font.sans-serif"][0]
    matplotlib.rcParams["font.family"] = [default_font, CJK_FONT_NAME]
    return CJK_FONT_NAME
