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

.PHONY: install run test test-fast lint lint-check format bench browser clean

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

# Three suites, each run even when an earlier one fails; the summary shows all three results.
test: install browser
	@status=0; summary=""; \
	run() { name=$$1; shift; echo "== $$name: $$*"; \
	  if "$$@"; then summary="$$summary\n  $$name: passed"; \
	  else summary="$$summary\n  $$name: FAILED"; status=1; fi; }; \
	run lint $(MAKE) --no-print-directory lint-check; \
	run fast $(BIN)/pytest -q -m "not slow and not browser"; \
	run slow $(BIN)/pytest -q -m "slow"; \
	run browser $(BIN)/pytest -q -m "browser and not slow"; \
	printf "== summary:$$summary\n"; exit $$status

test-fast: install
	$(BIN)/pytest -q -m "not slow and not browser"

lint: install lint-check

lint-check:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/answer.py

clean:
	rm -rf $(VENV) .ree .pytest_cache .ruff_cache
