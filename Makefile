# One-command setup: `make test` and `make demo` create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-install demo lint format clean bench

# pip's own progress shows (a first install downloads ~1 GB: torch, pulumi, moto).
$(STAMP): pyproject.toml setup.py
	@echo "== setting up $(VENV): gpuforge with its test extra (a few minutes the first time)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --progress-bar on -e '.[test]'
	@echo "== $(VENV)/scan: checkov in its own environment (it pins an older boto3)"
	test -x $(VENV)/scan/bin/python || $(PYTHON) -m venv $(VENV)/scan
	$(BIN)/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['scan'], sep='\n')" > $(VENV)/scan-requirements.txt
	$(VENV)/scan/bin/python -m pip install --progress-bar on -r $(VENV)/scan-requirements.txt
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

# Re-measure every figure README.md and bench/README.md quote, then rewrite their tables
# from bench/results/latest.json (BENCH_ARGS: --before PATH, -n N, --quick, --skip NAME).
bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Everything `make` and a wheel build leave behind; tracked files stay.
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info build dist
	find . -name __pycache__ -type d -not -path './.git/*' -prune -exec rm -rf {} +
