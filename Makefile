# One-command setup: `make test` and `make demo` create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-install demo lint format clean

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[test]'
	test -x $(VENV)/scan/bin/python || $(PYTHON) -m venv $(VENV)/scan
	$(BIN)/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['scan'], sep='\n')" > $(VENV)/scan-requirements.txt
	$(VENV)/scan/bin/python -m pip install -q -r $(VENV)/scan-requirements.txt
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) lint
	$(BIN)/python -m pytest

# The wheel in a new virtual environment that resolves its dependencies from the package
# index (about a minute, needs the index): CI runs it; `make test` runs the offline variant.
test-install: $(STAMP)
	GPUFORGE_FRESH_INSTALL=1 $(BIN)/python -m pytest tests/test_install.py -k fresh

demo: $(STAMP)
	bash scripts/demo.sh

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Everything `make` and a wheel build leave behind; tracked files stay.
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info build dist
	find . -name __pycache__ -type d -not -path './.git/*' -prune -exec rm -rf {} +
