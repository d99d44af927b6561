# Two commands for a new machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres test-sqlite lint check-generated check-deploy cluster schema migrations migrations-reset bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Serve on the embedded defaults (SQLite, in-process bus, SMS and mail to the log) at :8000.
run: $(STAMP)
	@echo "Ready-made users: 'make demo' (in another terminal) prints GraphiQL links that sign in."
	$(BIN)/imwallet serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

## The whole suite: layering and generated files, then PostgreSQL + Redis, then SQLite.
test: $(STAMP) check-generated check-deploy test-postgres test-sqlite

test-postgres: $(STAMP)
	TEST_BACKEND=postgres $(BIN)/pytest $(PYTEST_ARGS)

test-sqlite: $(STAMP)
	TEST_BACKEND=sqlite $(BIN)/pytest $(PYTEST_ARGS)

## Layering contract, committed schema.graphql and migrations in step with the code; vendored GraphiQL
## files intact; every part of the schema described; no breaking schema change since the previous commit.
check-generated: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/imwallet export-schema --output - | diff -u schema.graphql - \
		|| (echo "schema.graphql is stale: run 'make schema'" && exit 1)
	.ci/check-migrations
	$(BIN)/python scripts/vendor_graphiql.py --check
	$(BIN)/python scripts/schema_check.py undocumented
	$(BIN)/python scripts/schema_check.py breaking --against HEAD~1

## The deployment files: the Dockerfile (hadolint) and deploy/compose.yaml (the Compose spec's schema).
## Both tools come from PyPI with the dev dependencies; no Docker engine is needed (or present here).
check-deploy: $(STAMP)
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec deploy/compose.yaml

## N instances (default 2) on ports PORT, PORT+1, ... against PostgreSQL and Redis; Ctrl-C stops all.
N ?= 2
cluster: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/imwallet_cluster} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} REDIS_NAMESPACE=$${REDIS_NAMESPACE:-imwallet-cluster} \
		$(BIN)/imwallet cluster --instances $(N) --port $${PORT:-8000}

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

schema: $(STAMP)
	$(BIN)/imwallet export-schema --output schema.graphql

migrations: $(STAMP)
	$(BIN)/tortoise -c app.settings.TORTOISE_ORM makemigrations

## Before the first release only: rebuild 0001_initial from all models.
migrations-reset: $(STAMP)
	rm -f models/migrations/0*.py
	@# Hand-written migrations that depend on 0001 are set aside while it is rebuilt.
	mkdir -p /tmp/imwallet-manual-migrations && find models/migrations -maxdepth 1 -name '[a-z]*.py' \
		! -name '__init__.py' -exec mv {} /tmp/imwallet-manual-migrations/ \;
	DATABASE_URL=sqlite:///tmp/imwallet-makemigrations.sqlite3 $(BIN)/tortoise -c app.settings.TORTOISE_ORM makemigrations
	mv /tmp/imwallet-manual-migrations/*.py models/migrations/ 2>/dev/null || true
	rm -rf /tmp/imwallet-makemigrations.sqlite3* /tmp/imwallet-manual-migrations

## Two ready demo users (wallet, card, balance, chats, a transfer, a request) and their GraphiQL links.
.PHONY: demo
demo: $(STAMP)
	$(BIN)/imwallet demo

## Fetch the pinned GraphiQL packages from npm and refresh the vendored files (needs npm).
.PHONY: graphiql-assets
graphiql-assets: $(STAMP)
	$(BIN)/python scripts/vendor_graphiql.py --refresh

## Benchmarks against same-run baselines (docs/performance.md): QUICK=1 for a smoke run, BENCH_ARGS for more.
bench: $(STAMP)
	$(BIN)/python -m bench $(if $(QUICK),--quick) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) imwallet.sqlite3*
