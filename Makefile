# ispgest: `make run` starts the product, `make test` passes the tests. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
# XStatic-Bootstrap's sdist still imports pkg_resources at build time.
PIP_INSTALL := $(PIP) install --quiet --disable-pip-version-check --build-constraint build-constraints.txt -c constraints.txt

.PHONY: run test fuzz bench lint format install install-dev migrate clean messages

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check --upgrade "pip>=25.1"
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP_INSTALL) -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap
	$(PY) manage.py collectstatic --noinput --verbosity 0
	PORT=$(PORT) $(PY) manage.py serve

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# schemathesis over the whole /api/v1 (tests/fuzz); ISPGEST_FUZZ_EXAMPLES per operation.
fuzz: install-dev
	ISPGEST_FUZZ=1 $(PY) -m pytest tests/fuzz -q $(PYTEST_ARGS)

bench: install-dev
	$(PY) -m bench $(BENCH_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Compile the translations (.po -> .mo) in pure Python; the .mo files are committed.
messages: install
	$(PY) ispgest/locale/compile_messages.py

clean:
	rm -rf $(VENV) var test-artifacts
