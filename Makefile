# Two commands on a fresh machine: `make demo` and `make test` (README.md).
# Both create .venv and install the project and everything it needs into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-slow goldens bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/immunotwin demo --out demo-out

test: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(PY) -m pytest -q -m "not slow"

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

# Deliberately re-record tests/golden after a change that moves the numbers (review the diff).
goldens: $(STAMP)
	PYTHONPATH=src $(PY) -m tests.golden.regenerate

bench: $(STAMP)
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache .ruff_cache
