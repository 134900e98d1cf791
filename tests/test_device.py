"""The device a timing was measured on is named in the page's language."""

import os

import pytest

import grubook


def test_the_processor_is_named_in_each_language():
    cores = str(os.cpu_count())
    english, chinese = (grubook.describe_device("cpu", code) for code in ("en", "zh"))
    assert english.startswith("CPU") and f"{cores} cores" in english
    assert f"{cores} 核" in chinese and "cores" not in chinese


def test_an_unknown_language_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="known: en, zh"):
        grubook.describe_device("cpu", "fr")
