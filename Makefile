# Two commands on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CATALOGS := $(patsubst %.po,%.mo,$(wildcard locales/*/LC_MESSAGES/messages.po))

.PHONY: demo test test-cluster fonts chromium lint lock catalogs messages messages-review bench clean

# A real Redis, like the tests: BOT_REDIS_URL if it answers, else a private redis-server.
demo: $(INSTALLED) $(CATALOGS) fonts
	BOT_REDIS_URL="$$(bash scripts/ensure-redis.sh "$${BOT_REDIS_URL:-redis://127.0.0.1:6379/0}")" \
		$(BIN)/python -m bot demo

test: $(INSTALLED) $(CATALOGS) fonts chromium
	$(BIN)/ruff check .
	$(BIN)/mypy
	BOT_TEST_REDIS_URL="$$(bash scripts/ensure-redis.sh)" $(BIN)/python -m pytest

# The journeys and fault tests against a local 3-master Redis Cluster on loopback (ports
# 7101-7103, or CLUSTER_PORTS), started for the run and stopped after it, pass or fail.
CLUSTER_PORTS ?= 7101 7102 7103
# Every journey and fault test that talks to the tests' Redis (the `redis` fixture or the
# Dispatcher), and the cluster's own fault test. Not here: the pure domain and catalog tests,
# the browser tests, and the fault tests that start a single redis-server of their own
# (test_redis_faults, test_graceful_shutdown, ...): on a cluster they would run as they do
# in `make test`.
CLUSTER_TESTS ?= tests/test_foundation_journeys.py tests/test_application_journeys.py \
	tests/test_application_form_journeys.py tests/test_money_command_journeys.py \
	tests/test_money_in_doubt.py tests/test_repayment_journeys.py tests/test_repayment_products.py \
	tests/test_accounts_journeys.py tests/test_amount_journeys.py tests/test_calculator_journeys.py \
	tests/test_calculator_documents.py tests/test_officer_journeys.py tests/test_officer_buttons.py \
	tests/test_officer_help.py tests/test_officer_queue.py tests/test_officer_task_news.py \
	tests/test_officer_words.py tests/test_visit_journeys.py tests/test_worksheet_journeys.py \
	tests/test_committee_journeys.py tests/test_offer_journeys.py tests/test_reminders_journeys.py \
	tests/test_outbound_pipeline.py tests/test_send_rate_limiter.py tests/test_lead_delivery.py \
	tests/test_bank_feed.py tests/test_bank_outage_journeys.py tests/test_reference_data.py \
	tests/test_webhook.py tests/test_sms_commands.py tests/test_sms_inbox.py \
	tests/test_sms_money_in_doubt.py tests/test_redis_keys.py tests/test_forged_callbacks.py \
	tests/test_errors_handler.py tests/test_plural_journeys.py tests/test_wording_journeys.py \
	tests/test_worker_faults.py tests/test_worker_health.py tests/test_webapp_api.py \
	tests/test_webapp_chat.py tests/test_webapp_desk.py tests/test_cluster_faults.py

test-cluster: $(INSTALLED) $(CATALOGS) fonts
	@nodes="$$(BOT_TEST_CLUSTER_PORTS="$(CLUSTER_PORTS)" bash scripts/redis-cluster.sh start)" && \
	test -n "$$nodes" || exit 1; \
	status=0; BOT_TEST_REDIS_CLUSTER_NODES="$$nodes" BOT_TEST_REDIS_URL="$$(bash scripts/ensure-redis.sh)" \
		$(BIN)/python -m pytest $(CLUSTER_TESTS) || status=$$?; \
	BOT_TEST_CLUSTER_PORTS="$(CLUSTER_PORTS)" bash scripts/redis-cluster.sh stop; exit $$status

# The chart's CJK font (a Debian package), installed when missing, like Redis for the tests.
fonts:
	bash scripts/ensure-fonts.sh

# Debian's Chromium for the Mini App's browser tests, installed when missing.
chromium:
	bash scripts/ensure-chromium.sh

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exactly the versions in the lock files; `make lock` refreshes them from pyproject.toml.
$(INSTALLED): pyproject.toml requirements-dev.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

lock: $(INSTALLED)
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.lock pyproject.toml

catalogs: $(CATALOGS)

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(INSTALLED)
	$(BIN)/pybabel compile -D messages -i $< -o $@ -l $*

# Re-extract user-facing strings after changing them, then translate the new entries.
messages: $(INSTALLED)
	$(BIN)/pybabel extract --no-location -k _ -k __ -k gettext -k lazy_gettext \
		-k ngettext:1,2 -o locales/messages.pot bot handlers
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -D messages \
		-i locales/messages.pot -d locales

# Every catalog entry in every language with sample values, and what reads wrong in them.
messages-review: $(INSTALLED) $(CATALOGS)
	$(BIN)/python -m bot.messages_review --out build/messages-review.md

bench: $(INSTALLED) $(CATALOGS)
	$(BIN)/python bench/bench_updates.py
	$(BIN)/python bench/bench_schedule.py

clean:
	rm -rf $(VENV) locales/*/LC_MESSAGES/*.mo .pytest_cache .mypy_cache .ruff_cache
