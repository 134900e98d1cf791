/* The GRU of the chapter "A GRU that runs in the page", run in the reader's browser.

   The page embeds the trained model as JSON (<script type="application/json" id="gru-demo-model">:
   float32 weights as base64, the vocabulary, the units to show and every label in the page's
   language); this script has no words of its own. It computes PyTorch's nn.GRU step (reset after
   the hidden product) in double precision and shows, as the reader types, the update and reset
   gates of the chosen units, the unit the chapter names and the next-character probabilities, and
   samples a continuation with a seeded generator (mulberry32), so that a seed always gives the
   same text.

   A classic script, not an ES module: Chromium refuses module scripts on pages opened from a file
   (their origin is null), and the book must work offline from a downloaded copy. It does nothing on
   a page without the model. Results are exposed as window.gruDemo for the tests. */
(function () {
  "use strict";

  var source = document.getElementById("gru-demo-model");
  var root = document.getElementById("gru-demo");
  if (!source || !root) return;
  var spec = JSON.parse(source.textContent);
  var labels = spec.labels;

  function floats(name) {
    var weight = spec.weights[name];
    var bytes = atob(weight.base64);
    var view = new DataView(new ArrayBuffer(bytes.length));
    for (var i = 0; i < bytes.length; i++) view.setUint8(i, bytes.charCodeAt(i));
    var values = new Float64Array(bytes.length / 4);
    for (var j = 0; j < values.length; j++) values[j] = view.getFloat32(4 * j, true);
    return values;
  }

  var embedding = floats("embedding.weight");
  var W_ih = floats("gru.weight_ih_l0");
  var W_hh = floats("gru.weight_hh_l0");
  var b_ih = floats("gru.bias_ih_l0");
  var b_hh = floats("gru.bias_hh_l0");
  var W_out = floats("output.weight");
  var b_out = floats("output.bias");
  var vocabulary = spec.vocabulary;
  var V = vocabulary.length;
  var E = spec.weights["embedding.weight"].shape[1];
  var H = spec.weights["gru.weight_hh_l0"].shape[1];
  var index = {};
  vocabulary.forEach(function (char, i) { index[char] = i; });

  function sigmoid(x) { return 1 / (1 + Math.exp(-x)); }

  // One step of nn.GRU: blocks r, z, n in that order; the reset gate scales W_hn h + b_hn.
  function step(x, h) {
    var i_part = new Float64Array(3 * H), h_part = new Float64Array(3 * H);
    for (var j = 0; j < 3 * H; j++) {
      var a = b_ih[j], b = b_hh[j];
      for (var k = 0; k < E; k++) a += W_ih[j * E + k] * embedding[x * E + k];
      for (var m = 0; m < H; m++) b += W_hh[j * H + m] * h[m];
      i_part[j] = a;
      h_part[j] = b;
    }
    var r = new Float64Array(H), z = new Float64Array(H), next = new Float64Array(H);
    for (var u = 0; u < H; u++) {
      r[u] = sigmoid(i_part[u] + h_part[u]);
      z[u] = sigmoid(i_part[H + u] + h_part[H + u]);
      var candidate = Math.tanh(i_part[2 * H + u] + r[u] * h_part[2 * H + u]);
      next[u] = z[u] * h[u] + (1 - z[u]) * candidate;
    }
    return { r: r, z: z, h: next };
  }

  function probabilities(h) {
    var scores = new Float64Array(V), largest = -Infinity, total = 0;
    for (var c = 0; c < V; c++) {
      var s = b_out[c];
      for (var u = 0; u < H; u++) s += W_out[c * H + u] * h[u];
      scores[c] = s;
      if (s > largest) largest = s;
    }
    for (var d = 0; d < V; d++) {
      scores[d] = Math.exp(scores[d] - largest);
      total += scores[d];
    }
    for (var e = 0; e < V; e++) scores[e] /= total;
    return scores;
  }

  function run(text) {
    var chars = Array.from(text);
    var result = { truncated: chars.length > spec.max_chars, chars: [], indices: [], unknown: [],
                   r: [], z: [], h: [], probabilities: null, top: [] };
    var h = new Float64Array(H);
    chars.slice(0, spec.max_chars).forEach(function (char) {
      var x = Object.prototype.hasOwnProperty.call(index, char) ? index[char] : spec.unknown;
      var s = step(x, h);
      h = s.h;
      result.chars.push(char);
      result.indices.push(x);
      result.unknown.push(x === spec.unknown);
      result.r.push(Array.from(s.r));
      result.z.push(Array.from(s.z));
      result.h.push(Array.from(s.h));
    });
    if (result.chars.length) {
      var p = probabilities(h);
      result.probabilities = Array.from(p);
      result.top = result.probabilities
        .map(function (value, i) { return [i, value]; })
        .sort(function (a, b) { return b[1] - a[1]; })
        .slice(0, 5);
      result.state = Array.from(h);
    }
    return result;
  }

  function mulberry32(seed) {
    var a = seed | 0;
    return function () {
      a = (a + 0x6d2b79f5) | 0;
      var t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // The continuation of `text`: each character drawn from the model's probabilities.
  function sample(text, seed, length) {
    var start = run(text);
    if (!start.probabilities) return null;
    var random = mulberry32(seed), h = Float64Array.from(start.state);
    var p = start.probabilities, drawn = [];
    for (var n = 0; n < length; n++) {
      var u = random(), total = 0, choice = V - 1;
      for (var c = 0; c < V; c++) {
        total += p[c];
        if (u < total) { choice = c; break; }
      }
      drawn.push(choice);
      h = step(choice, h).h;
      p = probabilities(h);
    }
    return { indices: drawn, text: drawn.map(function (i) { return vocabulary[i]; }).join("") };
  }

  // --- The view -------------------------------------------------------------------------------

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function shown(char) {
    return char === "\n" ? "↵" : char === " " ? "␣" : char;
  }

  var title = element("p", "gru-demo-title", labels.title);
  var input = element("textarea", "gru-demo-input");
  input.id = "gru-demo-input";
  input.rows = 3;
  input.value = spec.text;
  input.setAttribute("spellcheck", "false");
  var inputLabel = element("label", "gru-demo-label", labels.input);
  inputLabel.htmlFor = input.id;
  var message = element("p", "gru-demo-message");
  message.setAttribute("role", "status");
  var maps = element("div", "gru-demo-maps");
  maps.tabIndex = 0;  // a keyboard reader can scroll a long text sideways
  maps.setAttribute("role", "region");
  maps.setAttribute("aria-label", labels.title);
  var scale = element("p", "gru-demo-scale", labels.scale);
  var nextTitle = element("p", "gru-demo-heading", labels.next);
  var next = element("ol", "gru-demo-next");
  var seedLabel = element("label", "gru-demo-seed-label", labels.seed + " ");
  var seed = element("input", "gru-demo-seed");
  seed.type = "number";
  seed.id = "gru-demo-seed";
  seed.value = "1";
  seed.step = "1";
  seedLabel.htmlFor = seed.id;
  var button = element("button", "gru-demo-button", labels.sample);
  button.type = "button";
  var sampled = element("p", "gru-demo-sampled");
  var controls = element("div", "gru-demo-controls");
  controls.append(seedLabel, seed, button);
  root.append(title, inputLabel, input, message, maps, scale, nextTitle, next, controls, sampled);

  function map(caption, rows, values, colour, signed) {
    var table = element("table", "gru-demo-map");
    table.append(element("caption", "", caption));
    var head = element("tr");
    head.append(element("th"));
    state.chars.forEach(function (char, t) {
      var cell = element("th", state.unknown[t] ? "gru-demo-char gru-demo-unknown" : "gru-demo-char",
                         shown(char));
      if (char === " ") cell.title = labels.space;
      if (char === "\n") cell.title = labels.newline;
      head.append(cell);
    });
    table.append(head);
    rows.forEach(function (unit) {
      var row = element("tr");
      row.append(element("th", "gru-demo-unit", format(labels.unit, { unit: unit })));
      values.forEach(function (atStep) {
        var value = atStep[unit];
        var cell = element("td", "gru-demo-cell");
        var share = Math.round(Math.abs(value) * 100);
        var hue = signed && value < 0 ? "var(--gru-demo-negative)" : colour;
        cell.style.background = "color-mix(in srgb, " + hue + " " + share + "%, " +
                                "var(--pst-color-background, #fff))";
        cell.title = value.toFixed(3);
        row.append(cell);
      });
      table.append(row);
    });
    return table;
  }

  var state = null;

  function render() {
    state = run(input.value);
    api.last = state;
    var notes = [];
    if (!state.chars.length) notes.push(labels.empty);
    if (state.truncated) notes.push(format(labels.too_long, { max: spec.max_chars }));
    if (state.unknown.some(Boolean)) notes.push(format(labels.unknown, { unknown: vocabulary[spec.unknown] }));
    message.textContent = notes.join(" ");
    maps.replaceChildren();
    next.replaceChildren();
    button.disabled = !state.chars.length;
    if (!state.chars.length) return;
    maps.append(
      map(format(labels.update, { count: spec.units.length }), spec.units, state.z, "var(--gru-demo-update)", false),
      map(labels.reset, spec.units, state.r, "var(--gru-demo-reset)", false),
      map(format(labels.hidden, { unit: spec.named_unit, what: labels.what }), [spec.named_unit], state.h,
          "var(--gru-demo-positive)", true)
    );
    state.top.forEach(function (pair) {
      var item = element("li");
      var char = element("span", "gru-demo-next-char", shown(vocabulary[pair[0]]));
      var bar = element("span", "gru-demo-bar");
      bar.style.width = (pair[1] * 100).toFixed(1) + "%";
      var share = element("span", "gru-demo-share", (pair[1] * 100).toFixed(1) + "%");
      item.append(char, bar, share);
      next.append(item);
    });
  }

  var api = { spec: spec, run: run, sample: sample, last: null, lastSample: null };
  window.gruDemo = api;

  input.addEventListener("input", render);
  button.addEventListener("click", function () {
    var value = parseInt(seed.value, 10) || 0;
    var result = sample(input.value, value, spec.sample_length);
    api.lastSample = result && { seed: value, text: result.text, indices: result.indices };
    sampled.replaceChildren();
    if (!result) return;
    sampled.append(element("span", "gru-demo-sampled-label", format(labels.sampled, { seed: value }) + " "),
                   element("span", "gru-demo-sampled-text", result.text));
  });
  render();
  root.dataset.ready = "true";
})();
