"""Chapter 09, a GRU on a real time series: what the page says about the data, the windows, the
baselines, the four networks and the Keras-to-PyTorch shapes holds on the glued values of both twins."""

import ast
import datetime
import math
import string

import numpy as np
import pytest
from built_book import LANGUAGES, ROOT, glued, language_cell

CHAPTER = ROOT / "chapters" / "09-time-series"
RAW_WINDOW = ("gru", "gru_time", "conv_gru", "stacked_gru")  # the networks that read the window as it is
MODELS = (*RAW_WINDOW, "residual_gru")  # and the one built on yesterday


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_the_lang_specific_cells_define_the_same_names():
    cells = {code: language_cell(CHAPTER / f"{code}.md") for code in LANGUAGES}
    for code, names in cells.items():
        assert names["language"] == code
        for group in ("words", "plot_labels", "printed"):
            assert set(names[group]) == set(cells["en"][group]), (code, group)
        for key, template in names["printed"].items():
            if isinstance(template, str):
                assert fields(template) == fields(cells["en"]["printed"][key]), (code, key)
        assert set(names["printed"]["names"]) == set(cells["en"]["printed"]["names"])


def verdict(a: list[float], b: list[float], words: dict) -> str:
    """The rule the page states: lower or higher only when the gap between the means exceeds the
    spread (largest minus smallest) of both."""
    gap, noise = np.mean(b) - np.mean(a), max(np.ptp(a), np.ptp(b))
    if abs(gap) <= noise:
        return words["within the spread of"]
    return words["lower than"] if gap > 0 else words["higher than"]


@pytest.fixture(params=list(LANGUAGES))
def page(request):
    code = request.param
    return glued(CHAPTER / f"{code}.md"), language_cell(CHAPTER / f"{code}.md")


def test_the_data_claims_hold(page):
    v, _ = page
    # "A year has 8,760 hours; the one missing ... is the hour the clocks skipped" (2010's daylight
    # saving time began on the second Sunday of March)
    assert v["num_hours"] == 365 * 24 == v["num_readings"] + v["num_missing"]
    assert v["num_missing"] == 1
    missing = datetime.datetime.strptime(v["missing_hour"], "%Y-%m-%d %H:%M")
    sundays = [d for d in range(1, 15) if datetime.date(2010, 3, d).weekday() == 6]
    assert (missing.month, missing.day) == (3, sundays[1]) and 2 <= missing.hour <= 3
    # the conversion to °C
    for end in ("low", "high"):
        assert v[f"{end}_c"] == pytest.approx((v[f"{end}_f"] - 32) * 5 / 9, abs=1e-4)
    # "from one day to the next, at the same hour, by only ...": far below the hourly change
    assert v["day_change"] < v["hour_change"] / 2


def test_the_windows_are_as_described(page):
    v, _ = page
    # "the past 48 hours (two days)", "the next 24 hours", "one window in 2"
    assert v["window"] == 2 * 24 and v["horizon"] == 24 and v["stride"] == 2
    train_hours = (datetime.date(2010, 9, 1) - datetime.date(2010, 1, 1)).days * 24  # January to August
    two_months = 61 * 24  # September + October, November + December
    every_window = train_hours - v["window"] - v["horizon"] + 1
    assert v["train_windows"] == math.ceil(every_window / v["stride"])
    assert v["valid_windows"] == v["test_windows"] == two_months - v["window"] - v["horizon"] + 1


def test_the_baselines_rank_as_the_page_says(page):
    v, _ = page
    # "a poor forecast", "far better", "reaches": persistence > seasonal persistence > linear
    assert v["persistence_mae"] > 2 * v["seasonal_mae"] > 2 * v["linear_mae"]
    for name in ("persistence", "seasonal", "linear", *MODELS):
        assert v[f"{name}_rmse"] >= v[f"{name}_mae"] > 0


def test_every_comparison_follows_the_stated_rule(page):
    v, cell = page
    words = cell["words"]
    maes = {name: v[f"{name}_maes"] for name in MODELS}
    for name in MODELS:
        assert len(maes[name]) == v["num_seeds"] >= 3
        assert v[f"{name}_mae"] == pytest.approx(np.mean(maes[name]))
        assert v[f"{name}_spread"] == pytest.approx(np.ptp(maes[name]))
    maes["seasonal"], maes["linear"] = [v["seasonal_mae"]], [v["linear_mae"]]
    pairs = [("gru", "seasonal"), ("gru", "linear")] + [(name, "gru") for name in RAW_WINDOW[1:]]
    pairs += [("residual_gru", "gru"), ("residual_gru", "seasonal"), ("residual_gru", "linear")]
    for a, b in pairs:
        assert v[f"{a}_vs_{b}"] == verdict(maes[a], maes[b], words), (a, b)
    best = min(RAW_WINDOW, key=lambda name: np.mean(maes[name]))
    assert v["best_model"] == cell["printed"]["names"][best]
    assert v["best_model_mae"] == pytest.approx(np.mean(maes[best]))
    assert v["best_vs_linear"] == verdict(maes[best], maes["linear"], words)
    # "at this budget they are still far from it", "the baselines win on this series"
    assert v["best_vs_linear"] == words["higher than"] and v["best_model_mae"] > 2 * v["linear_mae"]
    assert v["gru_vs_seasonal"] == words["higher than"]
    # "much closer", "yet ... made the test months' forecasts worse": it started at seasonal persistence
    assert v["residual_gru_vs_gru"] == words["lower than"]
    assert v["residual_gru_vs_seasonal"] == words["higher than"]


def test_the_convolution_shortens_the_sequence_and_the_epoch(page):
    v, _ = page
    k, p, f = v["kernel_size"], v["pool_size"], v["num_filters"]
    batch, window, horizon, h = v["batch_size"], v["window"], v["horizon"], v["num_hiddens"]
    shape = {name: ast.literal_eval(v[f"shape_{name}"]) for name in ("conv1", "pool", "conv2", "gru", "head")}
    # the shapes follow from the layers: valid convolutions, pooling to a third
    assert p == 3
    assert shape["conv1"] == (batch, f, window - k + 1)
    assert shape["pool"] == (batch, f, (window - k + 1) // p)
    assert shape["conv2"] == (batch, f, (window - k + 1) // p - k + 1)
    assert shape["gru"] == (batch, v["conv_steps"], h) and v["conv_steps"] == shape["conv2"][2] < window
    assert shape["head"] == (batch, horizon)
    assert ast.literal_eval(v["input_shape"]) == (batch, window, 1)
    # Keras: channels last, the batch left open, the GRU's last state only
    assert ast.literal_eval(v["keras_input"]) == (None, window, 1)
    for name in ("conv1", "pool", "conv2"):
        assert ast.literal_eval(v[f"keras_{name}"]) == (None, shape[name][2], shape[name][1])
    assert ast.literal_eval(v["keras_gru"]) == (None, h)
    assert ast.literal_eval(v["keras_head"]) == (None, horizon)
    # "one epoch of it takes ... against ..., a factor of ...": the shorter sequence is faster
    assert v["conv_speedup"] == pytest.approx(v["gru_epoch_seconds"] / v["conv_gru_epoch_seconds"])
    assert v["conv_speedup"] > 1


def test_the_errors_by_forecast_hour_behave_as_described(page):
    v, _ = page
    # the linear model's error grows towards the end of the day; seasonal persistence's stays about
    # the same at every hour
    assert v["linear_first_hour"] < v["linear_last_hour"]
    ratio = v["seasonal_last_hour"] / v["seasonal_first_hour"]
    assert 2 / 3 < ratio < 3 / 2
    assert v["week_days"] == 7


def test_the_stated_settings(page):
    v, _ = page
    # "two-layer GRU", dropout a share of the units
    assert v["stacked_layers"] == 2
    assert 0 < v["stacked_dropout"] < 1 and 0 < v["input_dropout"] < 1


def test_the_twins_show_the_same_numbers():
    english, chinese = (glued(CHAPTER / f"{code}.md") for code in ("en", "zh"))
    for name in ("linear_mae", "seasonal_mae", *(f"{m}_maes" for m in MODELS), "gru_epoch_seconds"):
        assert english[name] == chinese[name], name
