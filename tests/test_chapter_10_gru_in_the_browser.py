"""Chapter 10, a GRU that runs in the page: the JSON in the page is the page's model, the page's
script computes what PyTorch computes (in Chromium, from a file:// page), and the view is small,
handles bad input, fits a phone, answers the keyboard and reads in dark mode."""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from built_book import LANGUAGES, ROOT, SITE, glued
from torch import nn

CHAPTER = ROOT / "chapters" / "10-gru-in-the-browser"
SCRIPT = ROOT / "book" / "_static" / "gru-demo.js"
MODEL_ELEMENT = re.compile(r'<script type="application/json" id="gru-demo-model">(.*?)</script>', re.S)
TOLERANCE = 1e-5  # the bar: the page's numbers are PyTorch's to 1e-5


def built_page(code: str) -> Path:
    """The chapter's page of the full site, or of `ci/build_book.py --only`, whichever is newer."""
    name = CHAPTER.name
    pages = [
        SITE / code / "chapters" / name / f"{code}.html",
        ROOT / "_build" / "chapters" / name / code / "_build" / "html" / "chapters" / name / f"{code}.html",
    ]
    pages = [page for page in pages if page.exists()]
    assert pages, f"chapter {name} ({code}) is not built: run `python ci/build_book.py --only {name}`"
    return max(pages, key=lambda page: page.stat().st_mtime)


def exported(code: str) -> dict:
    found = MODEL_ELEMENT.findall(built_page(code).read_text(encoding="utf-8"))
    assert len(found) == 1, "the page must embed the model exactly once"
    return json.loads(found[0])


def tensor(spec: dict, name: str, dtype) -> torch.Tensor:
    weight = spec["weights"][name]
    numbers = np.frombuffer(base64.b64decode(weight["base64"]), dtype="<f4")
    return torch.tensor(numbers.copy(), dtype=dtype).reshape(weight["shape"])


class Model(nn.Module):
    """The page's model rebuilt from its JSON alone."""

    def __init__(self, spec: dict, dtype=torch.float32):
        super().__init__()
        vocab, embed = spec["weights"]["embedding.weight"]["shape"]
        hidden = spec["weights"]["gru.weight_hh_l0"]["shape"][1]
        self.embedding = nn.Embedding(vocab, embed)
        self.gru = nn.GRU(embed, hidden)
        self.output = nn.Linear(hidden, vocab)
        self.to(dtype)
        self.load_state_dict({name: tensor(spec, name, dtype) for name in spec["weights"]})
        self.spec = spec

    def encode(self, text: str) -> torch.Tensor:
        index = {char: i for i, char in enumerate(self.spec["vocabulary"])}
        chars = list(text)[: self.spec["max_chars"]]
        return torch.tensor([index.get(char, self.spec["unknown"]) for char in chars], dtype=torch.long)

    @torch.no_grad()
    def gates(self, indices: torch.Tensor) -> dict:
        """R, Z, H after each character (nn.GRU's equations, reset after the product), the next
        character's probabilities, and the states from nn.GRU itself."""
        gru, X = self.gru, self.embedding.weight[indices]
        H = torch.zeros(gru.hidden_size, dtype=X.dtype)
        out = {"r": [], "z": [], "h": []}
        for x in X:
            x_r, x_z, x_h = (x @ gru.weight_ih_l0.T + gru.bias_ih_l0).chunk(3)
            h_r, h_z, h_h = (H @ gru.weight_hh_l0.T + gru.bias_hh_l0).chunk(3)
            R, Z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
            H = Z * H + (1 - Z) * torch.tanh(x_h + R * h_h)
            out["r"].append(R), out["z"].append(Z), out["h"].append(H)
        out = {key: torch.stack(value) for key, value in out.items()}
        layer, _ = self.gru(self.embedding(indices)[:, None])
        out["layer"] = layer[:, 0]
        out["probabilities"] = torch.softmax(self.output(layer[-1, 0]), dim=0)
        return out


def mulberry32(seed: int):
    """The script's random generator, bit for bit."""
    state = seed & 0xFFFFFFFF

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def draw():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = imul(state ^ (state >> 15), 1 | state)
        t = ((t + imul(t ^ (t >> 7), 61 | t)) & 0xFFFFFFFF) ^ t
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return draw


@torch.no_grad()
def sample(model: Model, text: str, seed: int, length: int) -> str:
    indices = model.encode(text)
    _, H = model.gru(model.embedding(indices)[:, None])
    draw, drawn = mulberry32(seed), []
    for _ in range(length):
        p = torch.softmax(model.output(H[0, 0]), dim=0).tolist()
        u, total, choice = draw(), 0.0, len(p) - 1
        for c, value in enumerate(p):
            total += value
            if u < total:
                choice = c
                break
        drawn.append(choice)
        _, H = model.gru(model.embedding(torch.tensor([[choice]])), H)
    return "".join(model.spec["vocabulary"][i] for i in drawn)


# --- The prose's claims, the export and its size --------------------------------------------


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_prose_claims_hold(code):
    values = glued(CHAPTER / f"{code}.md")
    # "the model does use what it has read": below the unigram baseline, which is below uniform
    assert values["valid_perplexity"] < values["unigram_perplexity"] < values["vocab_size"]
    assert values["vocab_size"] <= values["max_vocab"]
    assert 0 <= values["valid_unknown_percent"] < 100
    # "differ by at most ..., float32 rounding: the equations are the layer"
    assert values["loop_difference"] < TOLERANCE
    # "the units whose update gate moves most": sorted by their spread
    assert len(values["active_units"]) == values["num_shown"] == len(set(values["active_units"]))
    assert values["active_spread"] == sorted(values["active_spread"], reverse=True)
    # "the largest in absolute value of all units"
    correlations = values["correlations"]
    assert len(correlations) == values["num_hiddens"]
    assert abs(values["named_correlation"]) == max(abs(r) for r in correlations)
    assert correlations[values["named_unit"]] == values["named_correlation"]


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_json_in_the_page_is_the_pages_model(code):
    values, spec = glued(CHAPTER / f"{code}.md"), exported(code)
    assert spec["form"] == "reset-after" and spec["language"] == code
    assert spec["units"] == values["active_units"] and spec["named_unit"] == values["named_unit"]
    assert len(spec["vocabulary"]) == values["vocab_size"] and spec["max_chars"] == values["max_chars"]
    model = Model(spec)
    out = model.gates(model.encode(spec["text"]))
    # the page's model, run on the demo's first text by the page itself
    assert torch.allclose(out["probabilities"], torch.tensor(values["fixed_probabilities"]), atol=1e-6)
    assert torch.allclose(out["layer"][-1], torch.tensor(values["fixed_state"]), atol=1e-6)
    assert torch.allclose(out["h"], out["layer"], atol=TOLERANCE)  # the loop is nn.GRU


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_model_and_script_stay_under_300_kb(code):
    page = built_page(code)
    embedded = MODEL_ELEMENT.search(page.read_text(encoding="utf-8")).group(1)
    script = page.parents[2] / "_static" / SCRIPT.name
    assert script.read_bytes() == SCRIPT.read_bytes(), "the built site carries another script"
    size = len(embedded.encode("utf-8")) + len(script.read_bytes())
    assert size < 300_000
    kilobytes = glued(CHAPTER / f"{code}.md")["json_kilobytes"]
    assert len(embedded.encode("utf-8")) / 1000 == pytest.approx(kilobytes)


def test_a_page_without_the_model_is_left_alone():
    source = SCRIPT.read_text(encoding="utf-8")
    assert "import " not in source and "export " not in source, "an ES module fails on file:// pages"
    assert re.search(r"if \(!source \|\| !root\) return;", source)


# --- In Chromium ----------------------------------------------------------------------------

INPUTS = {
    "en": ["To be, or not to be: that is the question.", "春风明月", "naïve café €", "", "ab" * 130],
    "zh": ["春风又绿江南岸，明月何时照我还。", "To be or not", "月☃花", "", "春" * 260],
}


def open_page(browser, code: str, **options):
    page = browser.new_page(**options)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(built_page(code).as_uri())  # from a file, as a downloaded copy is read
    page.wait_for_selector("#gru-demo[data-ready]")
    return page, errors


def close(a, b) -> bool:
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_page_computes_what_pytorch_computes(browser, code):
    spec = exported(code)
    model = Model(spec, torch.float64)
    labels = spec["labels"]
    page, errors = open_page(browser, code, viewport={"width": 1280, "height": 800})
    for text in INPUTS[code]:
        page.fill("#gru-demo-input", text)
        shown = page.evaluate("window.gruDemo.last")
        message = page.locator(".gru-demo-message").inner_text()
        indices = model.encode(text)
        unknown = (indices == spec["unknown"]).tolist()
        assert shown["truncated"] == (len(text) > spec["max_chars"])
        assert (labels["too_long"].format(max=spec["max_chars"]) in message) == shown["truncated"]
        if not text:
            assert shown["chars"] == [] and shown["probabilities"] is None
            assert labels["empty"] in message and page.locator(".gru-demo-cell").count() == 0
            assert page.locator(".gru-demo-button").is_disabled()
            continue
        assert shown["indices"] == indices.tolist() and shown["unknown"] == unknown
        unknown_note = labels["unknown"].format(unknown=spec["vocabulary"][spec["unknown"]])
        assert (unknown_note in message) == any(unknown)
        # marked visibly: each unknown character's column head, in each of the three maps
        assert page.locator(".gru-demo-unknown").count() == 3 * sum(unknown)
        out = model.gates(indices)
        for gate in ("r", "z", "h"):
            assert close(shown[gate], out[gate]), f"{gate} differs for {text!r}"
        assert close(shown["probabilities"], out["probabilities"])
        top = out["probabilities"].argsort(descending=True)[:5].tolist()
        assert [i for i, _ in shown["top"]] == top
        assert page.locator(".gru-demo-next li").count() == 5
        rows = page.locator("table.gru-demo-map tr").count()
        assert rows == 3 + 2 * len(spec["units"]) + 1  # a head row per map, a row per unit
    assert errors == []
    page.close()


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_sample_button_is_deterministic_given_the_seed(browser, code):
    spec = exported(code)
    model = Model(spec, torch.float64)
    page, _ = open_page(browser, code)
    text = INPUTS[code][0]
    page.fill("#gru-demo-input", text)
    continuations = {}
    for seed in (1, 7, 1):
        page.fill("#gru-demo-seed", str(seed))
        page.click(".gru-demo-button")
        result = page.evaluate("window.gruDemo.lastSample")
        assert result["seed"] == seed and len(result["text"]) == spec["sample_length"]
        assert page.locator(".gru-demo-sampled-text").inner_text() == result["text"]
        continuations.setdefault(seed, result["text"])
        assert result["text"] == continuations[seed]
    assert continuations[1] != continuations[7]
    assert continuations[1] == sample(model, text, 1, spec["sample_length"])
    page.close()


def luminance(colour: str) -> float:
    """Relative luminance (WCAG) of a computed CSS colour: rgb(...) or color(srgb ...)."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", colour)[:3]]
    channels = [n / 255 for n in numbers] if colour.startswith("rgb") else numbers
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


COLOURS = """() => {
  const style = (selector, property) => getComputedStyle(document.querySelector(selector))[property];
  const cells = [...document.querySelectorAll('.gru-demo-cell')];
  const values = cells.map((c) => parseFloat(c.title));
  const at = (i) => getComputedStyle(cells[i]).backgroundColor;
  const backdrop = (node) => {  // what is really behind a node: the first ancestor with a colour
    for (; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      if (!/rgba\\(.*, 0\\)$/.test(colour) && colour !== 'transparent') return colour;
    }
    return 'rgb(255, 255, 255)';
  };
  return {
    background: backdrop(document.getElementById('gru-demo')),
    text: [style('.gru-demo-label', 'color'), style('.gru-demo-map caption', 'color'),
           style('.gru-demo-button', 'color'), style('.gru-demo-input', 'color')],
    fields: [style('.gru-demo-input', 'backgroundColor'), style('.gru-demo-button', 'backgroundColor')],
    darkest: at(values.indexOf(Math.max(...values))),
    lightest: at(values.indexOf(Math.min(...values.map(Math.abs)))),
  };
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_view_reads_in_light_and_dark_mode(browser, code, theme):
    page, _ = open_page(browser, code, color_scheme=theme)
    page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
    colours = page.evaluate(COLOURS)
    for text, field in zip(colours["text"], [colours["background"]] * 2 + colours["fields"]):
        assert contrast(text, field) >= 4.5, (theme, text, field)
    # a gate near 1 stands out from the page; a gate near 0 hardly does
    assert contrast(colours["darkest"], colours["background"]) > 2
    assert contrast(colours["lightest"], colours["background"]) < 1.5
    page.close()


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_view_fits_a_phone_and_answers_the_keyboard(browser, code):
    page, _ = open_page(browser, code, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.fill("#gru-demo-input", exported(code)["text"] * 3)  # a heat map wider than the phone
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], "the page scrolls sideways"
    box = page.locator("#gru-demo").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.querySelector('.gru-demo-maps').scrollWidth") > box["width"]
    # Tab from the top of the page reaches the text field, the scrolling maps, the seed and the button
    page.reload()
    page.wait_for_selector("#gru-demo[data-ready]")
    reached = []
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id || document.activeElement.className")
        if focused in ("gru-demo-input", "gru-demo-maps", "gru-demo-seed", "gru-demo-button"):
            reached.append(focused)
        if "gru-demo-button" in reached:
            break
    assert reached == ["gru-demo-input", "gru-demo-maps", "gru-demo-seed", "gru-demo-button"]
    page.keyboard.press("Enter")  # the button works from the keyboard too
    assert page.evaluate("window.gruDemo.lastSample") is not None
    page.close()
