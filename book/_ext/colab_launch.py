"""Sphinx extension: point the Colab launch button of a chapter at its generated notebook.

sphinx-book-theme links Colab to the page's source, `.../blob/<branch>/chapters/<folder>/<lang>.md`,
which Colab cannot open: it reads `.ipynb` files only. `ci/make_colab_notebooks.py` writes every
chapter as `chapters/<folder>/<lang>.ipynb` and the publishing workflow pushes those notebooks to the
branch named by `colab_notebooks_branch` (`_config.yml`). This extension rewrites the button, after
the theme has made it, to

    {colab_url}/github/{org}/{repo}/blob/{colab_notebooks_branch}/chapters/<folder>/<lang>.ipynb

Pages outside `chapters/` have no generated notebook, so their Colab button is removed. The Binder
button is left as the theme makes it: Binder clones the repository and opens the `.md` itself.
"""

import re

NOTEBOOK_FOLDER = "chapters/"  # the pages ci/make_colab_notebooks.py converts
COLAB_TEXT = "Colab"
GITHUB_URL = re.compile(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?$")


def colab_notebook_url(colab_url: str, repository_url: str, branch: str, pagename: str) -> str:
    match = GITHUB_URL.match(repository_url)
    if match is None:
        raise ValueError(f"Colab opens notebooks from GitHub only; repository url is {repository_url!r}")
    org, repo = match.groups()
    return f"{colab_url.rstrip('/')}/github/{org}/{repo}/blob/{branch}/{pagename}.ipynb"


def _rewrite_colab_button(app, pagename, templatename, context, doctree):
    options = app.config.html_theme_options
    colab_url = options.get("launch_buttons", {}).get("colab_url")
    if not colab_url:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        buttons = [b for b in group["buttons"] if b.get("text") == COLAB_TEXT]
        for button in buttons:
            if pagename.startswith(NOTEBOOK_FOLDER):
                button["url"] = colab_notebook_url(
                    colab_url, options["repository_url"], app.config.colab_notebooks_branch, pagename
                )
            else:
                group["buttons"].remove(button)


def setup(app):
    app.add_config_value("colab_notebooks_branch", "notebooks", "html")
    # sphinx-book-theme adds the launch buttons at priority 501; rewrite them afterwards.
    app.connect("html-page-context", _rewrite_colab_button, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
