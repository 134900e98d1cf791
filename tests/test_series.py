"""The offline time series, daily weather in Seattle: what the file holds, its fingerprint, and the
loader's error messages."""

import hashlib
import importlib.metadata
import re
import sys

import pandas as pd
import pytest

from grubook import series
from grubook.data import CorpusError
from grubook.series import load_series


def test_the_file_matches_its_fingerprint_and_holds_four_years_of_days():
    frame = load_series("seattle-weather")
    assert list(frame.columns) == ["date", "precipitation", "temp_max", "temp_min", "wind", "weather"]
    assert len(frame) == 1461  # 2012-01-01 to 2015-12-31, 2012 a leap year, no gaps
    assert frame["date"].iloc[0] == pd.Timestamp("2012-01-01")
    assert (frame["date"].diff().dropna() == pd.Timedelta(days=1)).all()
    assert not frame.isna().any().any()
    assert (frame["temp_min"] <= frame["temp_max"]).all() and frame["temp_max"].between(-10, 45).all()
    assert (frame["precipitation"] >= 0).all() and (frame["wind"] >= 0).all()
    path = importlib.metadata.distribution("vega_datasets").locate_file(
        "vega_datasets/_data/seattle-weather.csv"
    )
    assert hashlib.sha256(path.read_bytes()).hexdigest() == series._SOURCES["seattle-weather"].sha256


def test_reading_the_series_does_not_import_its_package():
    load_series()
    assert "vega_datasets" not in sys.modules


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid names are 'seattle-weather'"):
        load_series("seattle-temps")


def test_a_missing_package_names_the_install_command(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    with pytest.raises(CorpusError, match=re.escape("pip install --no-deps vega_datasets==0.9.0")):
        load_series()


def test_a_changed_file_fails_the_fingerprint(monkeypatch):
    monkeypatch.setitem(
        series._SOURCES,
        "seattle-weather",
        series._Source("vega_datasets", "0.9.0", "vega_datasets/_data/seattle-weather.csv", "0" * 64),
    )
    reinstall = "pip install --force-reinstall --no-deps vega_datasets==0.9.0"
    with pytest.raises(CorpusError, match=re.escape(reinstall)):
        load_series()
