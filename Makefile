# The two commands: `make book` builds the site, `make test` proves it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: book test chapter serve clean

book: $(INSTALLED)  ## create .venv, execute every notebook, build _build/html/{en,zh}/
	$(PY) ci/build_book.py

test: lint book  ## the lint gate, the build (above) and the whole test suite
	$(PY) -m pytest -q tests

LINTED := src ci tests book/_ext
.PHONY: lint
lint: $(INSTALLED)  ## ruff check and ruff format --check (pyproject.toml); chapters' code: tests/test_twins.py
	$(PY) -m ruff check $(LINTED)
	$(PY) -m ruff format --check $(LINTED)

chapter: $(INSTALLED)  ## execute and build one chapter in both languages: make chapter NAME=04-gru-scratch
	@test -n "$(NAME)" || { echo "usage: make chapter NAME=<folder under chapters/>"; exit 2; }
	$(PY) ci/build_book.py --only $(NAME)

.PHONY: bench
bench: $(INSTALLED)  ## check and time chapter 7's GRU implementations (python -m grubook.bench; --quick, --help)
	$(PY) -m grubook.bench

serve:  ## serve _build/html on http://localhost:8000/
	$(PY) -m http.server --directory _build/html 8000

$(INSTALLED): requirements.txt requirements-no-deps.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-no-deps.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

clean:  ## remove the built site and the execution cache (keeps .venv)
	rm -rf _build

.PHONY: twins-status
twins-status: $(INSTALLED)  ## list the pages whose English changed since their translations were brought in line
	$(PY) ci/twins.py status

.PHONY: colab-notebooks
colab-notebooks: $(INSTALLED)  ## write every chapter as a Colab notebook under _build/colab/ (what the notebooks branch holds)
	$(PY) ci/make_colab_notebooks.py --output _build/colab
