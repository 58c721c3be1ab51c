# Two commands on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CATALOGS := $(patsubst %.po,%.mo,$(wildcard locales/*/LC_MESSAGES/messages.po))

.PHONY: demo test lint catalogs messages bench clean

demo: $(INSTALLED) $(CATALOGS)
	$(BIN)/python -m bot demo

test: $(INSTALLED) $(CATALOGS)
	$(BIN)/ruff check .
	$(BIN)/mypy
	BOT_TEST_REDIS_URL="$$(bash scripts/ensure-redis.sh)" $(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

catalogs: $(CATALOGS)

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(INSTALLED)
	$(BIN)/pybabel compile -D messages -i $< -o $@ -l $*

# Re-extract user-facing strings after changing them, then translate the new entries.
messages: $(INSTALLED)
	$(BIN)/pybabel extract --no-location -k _ -k __ -k gettext -k lazy_gettext \
		-k ngettext:1,2 -o locales/messages.pot bot handlers
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -D messages \
		-i locales/messages.pot -d locales

bench: $(INSTALLED) $(CATALOGS)
	$(BIN)/python bench/bench_updates.py
	$(BIN)/python bench/bench_schedule.py

clean:
	rm -rf $(VENV) locales/*/LC_MESSAGES/*.mo .pytest_cache .mypy_cache .ruff_cache
