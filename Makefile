# Rare-Earth Insights: `make run` (install, index the sample corpus, start the chat UI) and
# `make test` (install, then the whole test suite including the slow real-LLM tests).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# llama-cpp-python compiles llama.cpp from source: skip the parts we never load
# (multimodal/llava, tools, tests, examples, server, OpenSSL). Measured in README.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: install run test test-fast lint format bench browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel
	# torch first, bounded, so pip takes the CPU wheel instead of a multi-GB CUDA build
	$(BIN)/pip install --quiet 'torch>=2.2,<2.14'
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/ree setup
	touch $(STAMP)

install: $(STAMP)

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: install
	$(BIN)/ree ingest data/sample --if-empty
	$(BIN)/ree chat

test: install browser
	$(BIN)/ruff check .
	$(BIN)/pytest -q -m "not slow"
	$(BIN)/pytest -q -m slow

test-fast: install
	$(BIN)/pytest -q -m "not slow and not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/answer.py

clean:
	rm -rf $(VENV) .ree .pytest_cache .ruff_cache
