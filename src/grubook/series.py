"""An offline, public-domain time series for the forecasting chapter.

``load_series("seattle-weather")`` reads the daily weather observations of Seattle from 2012 to
2015 (NOAA GHCND data, a work of the US government) that ``vega_datasets==0.9.0`` ships as
``vega_datasets/_data/seattle-weather.csv``. Like the corpora of ``grubook.data``, the file is read
as data through ``importlib.metadata`` (the package is never imported) and checked by its SHA-256,
so every reader forecasts the same numbers. The file is returned as it is: ``date`` (parsed),
``precipitation`` (mm), ``temp_max`` and ``temp_min`` (°C), ``wind`` (m/s) and ``weather`` (a text
label); the chapter chooses, scales and splits the columns where readers see it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from .data import CorpusError, _locate, _pip_install, _Source

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SERIES", "load_series"]

_SOURCES = {
    "seattle-weather": _Source(
        "vega_datasets",
        "0.9.0",
        "vega_datasets/_data/seattle-weather.csv",
        "62f0609f787158128aa2bd102967173a4953122dd4f872bf1d502cae1037df0b",  # of the file's bytes
    ),
}
SERIES = tuple(_SOURCES)


def load_series(name: str = "seattle-weather") -> pd.DataFrame:
    """The time series ``name`` (one of ``SERIES``) as a DataFrame, its ``date`` column parsed,
    verified by the SHA-256 of the file."""
    if name not in _SOURCES:
        raise ValueError(f"unknown series {name!r}; valid names are {', '.join(map(repr, SERIES))}")
    src = _SOURCES[name]
    path = _locate(src)  # a CorpusError naming the install command when the package is missing
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != src.sha256:
        raise CorpusError(
            f"{path} does not match the book's copy (expected SHA-256 {src.sha256}, got "
            f"{actual}); reinstall the pinned version with: {_pip_install(src, force=True)}"
        )
    import pandas as pd  # here, so that importing grubook stays quick

    return pd.read_csv(path, parse_dates=["date"])
