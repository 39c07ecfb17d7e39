# The commands authors type. Each is a thin wrapper over `python -m bookbuild`.
#   make html | pdf | epub | check | test | bench      PROJECT=dir  OUT=dir  CHAPTER=name  PROFILE=name
# The first run creates .venv and installs the project into it.

PYTHON_BOOTSTRAP ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
PROJECT ?= .
CHAPTER ?=
OUT     ?=
ENGINE  ?= inprocess

OUT_ARG   = $(if $(OUT),--output-dir $(OUT),)
CACHE_ARG = $(if $(CACHE),--cache-dir $(CACHE),)
PROFILE_ARG = $(if $(PROFILE),--profile $(PROFILE),)

.PHONY: html pdf epub check preview values test bench conformance clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@bash scripts/bootstrap-venv.sh $(PYTHON_BOOTSTRAP) $(VENV)
	@touch $(STAMP)

html: $(STAMP)
	@$(PY) -m bookbuild html --project $(PROJECT) $(PROFILE_ARG) $(OUT_ARG) $(CACHE_ARG) $(CHAPTER)

pdf: $(STAMP)
	@$(PY) -m bookbuild pdf --project $(PROJECT) $(PROFILE_ARG) $(OUT_ARG) $(CACHE_ARG) $(CHAPTER)

epub: $(STAMP)
	@$(PY) -m bookbuild epub --project $(PROJECT) $(PROFILE_ARG) $(OUT_ARG) $(CACHE_ARG) $(CHAPTER)

check: $(STAMP)
	@$(PY) -m bookbuild check --project $(PROJECT) $(PROFILE_ARG) --engine $(ENGINE) $(CHAPTER)

preview: $(STAMP)
	@$(PY) -m bookbuild preview --project $(PROJECT) $(PROFILE_ARG) $(OUT_ARG) $(CACHE_ARG) $(if $(PORT),--port $(PORT),) $(CHAPTER)

values: $(STAMP)
	@$(PY) -m bookbuild values --project $(PROJECT) $(PROFILE_ARG) $(CHAPTER)

test: $(STAMP)
	@bash scripts/install-test-packages.sh
	@$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	@$(PY) scripts/bench.py

# Quarto's own smoke tests (../shared/quarto-conformance) rendered with this engine: the pass
# rates. PDF=1 also renders the PDF documents; ONLY=substr limits the documents.
CONFORMANCE ?= ../shared/quarto-conformance
conformance: $(STAMP)
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@$(PY) $(CONFORMANCE)/run.py $(if $(PDF),--pdf,) $(if $(ONLY),--only $(ONLY),) $(CONFORMANCE_ARGS)

clean:
	@$(if $(wildcard $(PY)),$(PY) -m bookbuild clean --project $(PROJECT),rm -rf $(PROJECT)/_build)
