"""Sphinx extension: a page head without duplicates.

- Sphinx 7.4 writes an inline script twice when an extension adds it after the builder started
  (sphinx-thebe's `const THEBE_JS_URL = ...`, sphinx-togglebutton's selector): the registry keeps it
  with the name None, the builder re-adds it as '' and the two do not compare equal. The second
  `const` declaration is a JavaScript error on every page.
- Sphinx's layout, docutils' meta tags and the pydata theme each write a viewport meta tag; the one
  in docutils' tags goes here, the theme's in book/_templates/layout.html, Sphinx's stays.
"""

import re

VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>\s*')


def unique_scripts(scripts: list) -> list:
    seen, unique = set(), []
    for script in scripts:
        key = (script.filename or "", tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    return unique


def _remove_duplicates(app, pagename, templatename, context, doctree):
    if "script_files" in context:
        context["script_files"] = unique_scripts(context["script_files"])
    if "metatags" in context:
        context["metatags"] = VIEWPORT.sub("", context["metatags"])


def setup(app):
    app.connect("html-page-context", _remove_duplicates, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
