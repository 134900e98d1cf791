"""The offline time series: what the file holds, its fingerprint, and the loader's error messages."""

import hashlib
import importlib.metadata
import re
import sys

import pytest

from grubook import series
from grubook.data import CorpusError
from grubook.series import load_series


def test_the_file_matches_its_fingerprint_and_holds_a_year_of_hours():
    frame = load_series("seattle-temps")
    assert list(frame.columns) == ["date", "temp"]
    assert len(frame) == 8759  # one hour of 2010's 8,760 is missing
    assert frame["date"].is_monotonic_increasing and frame["date"].dt.year.eq(2010).all()
    assert frame["temp"].between(30, 80).all()  # degrees Fahrenheit
    path = importlib.metadata.distribution("vega_datasets").locate_file(
        "vega_datasets/_data/seattle-temps.csv"
    )
    assert hashlib.sha256(path.read_bytes()).hexdigest() == series._SOURCES["seattle-temps"].sha256


def test_reading_the_series_does_not_import_its_package():
    load_series()
    assert "vega_datasets" not in sys.modules


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid names are 'seattle-temps'"):
        load_series("seattle")


def test_a_missing_package_names_the_install_command(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    with pytest.raises(CorpusError, match=re.escape("pip install --no-deps vega_datasets==0.9.0")):
        load_series()


def test_a_changed_file_fails_the_fingerprint(monkeypatch):
    monkeypatch.setitem(
        series._SOURCES,
        "seattle-temps",
        series._Source("vega_datasets", "0.9.0", "vega_datasets/_data/seattle-temps.csv", "0" * 64),
    )
    reinstall = "pip install --force-reinstall --no-deps vega_datasets==0.9.0"
    with pytest.raises(CorpusError, match=re.escape(reinstall)):
        load_series()
