# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test lint system-packages install clean worker

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: system-packages $(VENV)/.installed

system-packages:
	@bash scripts/system-packages.sh

## Set up, migrate the SQLite database under instance/, load the demo and serve on http://127.0.0.1:5000
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## Set up and run the whole suite (SQLite; set TEST_DATABASE_URL for PostgreSQL)
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check consultation tests bench
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check consultation tests bench

worker: install
	$(BIN)/celery -A consultation.worker worker --loglevel=info

clean:
	rm -rf $(VENV) instance/*.db
