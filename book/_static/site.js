// The book's small fixes to its theme, run on every page.
"use strict";

// Phones: pydata-sphinx-theme 0.17 wires only the first `.primary-toggle` / `.secondary-toggle`
// of a page (its issue 2451), and sphinx-book-theme's visible buttons come second. Each other
// button passes its click on to the wired one, which opens the sidebar as a dialog on a narrow
// screen and folds it away on a wide one.
function wireSidebarButtons() {
  for (const kind of ["primary", "secondary"]) {
    const [wired, ...others] = document.querySelectorAll(`.${kind}-toggle`);
    for (const button of others) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        wired.click();
      });
    }
  }
}

// Tooltips and labels the theme writes in English only (words: book/languages.yml, `attributes`).
function translateAttributes() {
  const words = typeof BOOK_ATTRIBUTE_WORDS === "undefined" ? {} : BOOK_ATTRIBUTE_WORDS;
  if (Object.keys(words).length === 0) return;
  for (const name of ["title", "aria-label", "data-bs-title", "data-bs-original-title", "alt"]) {
    for (const element of document.querySelectorAll(`[${name}]`)) {
      const word = words[element.getAttribute(name)];
      if (word) element.setAttribute(name, word);
    }
  }
}

// The language switch keeps the reader's place: twin pages carry the same section labels, so the
// link takes the label of the section being read. Sphinx writes a label as an empty <span id> at the
// top of its section, or as the section's own id when the heading gives no id of its own.
function keepPlaceOnLanguageSwitch() {
  for (const link of document.querySelectorAll("a.twin-link")) {
    link.addEventListener("click", () => {
      const sections = [...document.querySelectorAll("article section[id]")];
      const above = sections.filter((s) => s.getBoundingClientRect().top <= 80);
      const current = above.length ? above[above.length - 1] : null;
      const url = new URL(link.href);
      const label = current && (current.querySelector(":scope > span[id]") || current);
      url.hash = current && current !== sections[0] ? label.id : "";
      link.href = url.toString();
    });
  }
}

// Search results quote the page's text, TeX source included: show the maths as plain words.
function cleanSearchSummaries() {
  const results = document.getElementById("search-results");
  if (!results) return;
  const clean = (text) => text
    .replace(/\\\(|\\\)|\\\[|\\\]|\$+/g, "")
    .replace(/\\(mathbf|mathrm|boldsymbol|operatorname|text|tilde|hat|bar)\b/g, "")
    .replace(/\\([A-Za-z]+)/g, "$1")
    .replace(/[{}]/g, "");
  new MutationObserver(() => {
    for (const summary of results.querySelectorAll("p.context:not([data-cleaned])")) {
      summary.textContent = clean(summary.textContent);
      summary.dataset.cleaned = "yes";
    }
  }).observe(results, { childList: true, subtree: true });
}

document.addEventListener("DOMContentLoaded", () => {
  wireSidebarButtons();
  keepPlaceOnLanguageSwitch();
  cleanSearchSummaries();
  translateAttributes();
  // sphinx-togglebutton adds its buttons' labels after the page loads
  window.addEventListener("load", translateAttributes);
});

// Figures: a tap opens the image at full size (the labels of a two-panel figure are small on a phone).
function linkFiguresToFullSize() {
  for (const image of document.querySelectorAll(".bd-article .cell_output img, .bd-article figure img")) {
    if (image.closest("a")) continue;
    const link = document.createElement("a");
    link.href = image.src;
    link.className = "figure-full-size";
    link.target = "_blank";
    image.replaceWith(link);
    link.appendChild(image);
  }
}
document.addEventListener("DOMContentLoaded", linkFiguresToFullSize);
