# Two commands for a new machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres test-sqlite lint check-generated schema migrations migrations-reset bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Serve on the embedded defaults (SQLite, in-process bus, SMS and mail to the log) at :8000.
run: $(STAMP)
	$(BIN)/imwallet serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

## The whole suite: layering and generated files, then PostgreSQL + Redis, then SQLite.
test: $(STAMP) check-generated test-postgres test-sqlite

test-postgres: $(STAMP)
	TEST_BACKEND=postgres $(BIN)/pytest $(PYTEST_ARGS)

test-sqlite: $(STAMP)
	TEST_BACKEND=sqlite $(BIN)/pytest $(PYTEST_ARGS)

## Layering contract, committed schema.graphql and migrations in step with the code.
check-generated: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/imwallet export-schema --output - | diff -u schema.graphql - \
		|| (echo "schema.graphql is stale: run 'make schema'" && exit 1)
	.ci/check-migrations

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

## Benchmarks against same-run baselines (docs/performance.md): QUICK=1 for a smoke run, BENCH_ARGS for more.
bench: $(STAMP)
	$(BIN)/python -m bench $(if $(QUICK),--quick) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) imwallet.sqlite3*
