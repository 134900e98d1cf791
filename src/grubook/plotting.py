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
            "Chinese figure labels need the Noto Sans CJK font from mplfonts: "
            "pip install mplfonts==0.0.11"
        ) from error
    path = Path(mplfonts.__file__).parent / "fonts" / CJK_FONT_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: pip install --force-reinstall mplfonts==0.0.11")
    font_manager.fontManager.addfont(str(path))
    families = matplotlib.rcParams["font.sans-serif"]
    matplotlib.rcParams["font.sans-serif"] = [families[0], CJK_FONT_NAME] + [
        f for f in families[1:] if f != CJK_FONT_NAME
    ]
    matplotlib.rcParams["font.family"] = "sans-serif"
    return CJK_FONT_NAME
