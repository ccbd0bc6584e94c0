# Every target installs what it needs into .venv first, so both README commands work on a
# fresh machine with nothing but python3.
# `make run` installs the gateway alone; `make test`, `lint`, `typecheck` and `bench` add the
# test and benchmark tool chains (the `dev` and `bench` extras). Each stamp is remade when
# pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench install clean

$(RUNTIME): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	scripts/install_graphiql.sh
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m pip install --quiet --no-deps 'trailscraper==0.10.0'
	touch $(STAMP)

install: $(STAMP)

# A developer's machine: the GatewayKey header is on, so curl can send a key as is (off by
# default and in docker/compose.yaml: scripts sign with SigV4 there); the first account is
# the README's 123456789012, so its examples work as written.
run: $(RUNTIME)
	$(BIN)/gateway migrate
	GATEWAY_KEY_HEADER=$${GATEWAY_KEY_HEADER:-true} \
	GATEWAY_FIRST_ACCOUNT_ID=$${GATEWAY_FIRST_ACCOUNT_ID:-123456789012} $(BIN)/gateway serve

lint: $(STAMP)
	$(BIN)/ruff check gateway tests bench examples
	$(BIN)/ruff format --check gateway tests bench examples

# One run for all three: the gateway's modules are analysed once for everything that imports
# them, and the second `make test` in CI reads the first one's .mypy_cache.
typecheck: $(STAMP)
	$(BIN)/mypy --strict gateway tests bench

test: lint typecheck
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/policy_decisions.py
	$(BIN)/python bench/graphql_throughput.py
	$(BIN)/python bench/assume_role.py
	$(BIN)/python bench/access_activity.py
	$(BIN)/python bench/audit_lookup.py
	$(BIN)/python bench/least_privilege.py
	$(BIN)/python bench/signin_pressure.py
	$(BIN)/python bench/session_cache.py
	$(BIN)/python bench/instructions.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
