# Two commands do all the set-up on a fresh machine:
#   make run   — creates .venv, installs, opens the console simulator (or the real bot with BOT_TOKEN)
#   make test  — creates .venv, installs, runs the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all]"
	touch $(STAMP)

run: $(STAMP)
	@if [ -n "$$BOT_TOKEN" ] || grep -qsE '^BOT_TOKEN=.+' .env; then \
		$(BIN)/cchc-bot run; \
	else \
		echo "Chưa có BOT_TOKEN: mở trình giả lập trên terminal (cchc-bot console)."; \
		$(BIN)/cchc-bot console; \
	fi

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy bot handlers jobs criteria knowledge

check: $(STAMP)
	$(BIN)/cchc-bot check

bench: $(STAMP)
	$(BIN)/python -m bench.eval
	$(BIN)/python -m bench.search

clean:
	rm -rf $(VENV) build *.egg-info
