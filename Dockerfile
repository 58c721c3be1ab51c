# Two stages: the first builds the wheel (compiled catalogs inside), the second installs it,
# not editable, with exactly the locked runtime dependencies (binary wheels only: no
# compiler in either stage), the chart's CJK font, and runs as an unprivileged user.
#   docker build -t microloan-bot .
#   bot:    docker run microloan-bot                       (python -m bot run --webhook)
#   worker: docker run microloan-bot python -m bot worker  (health: healthcheck --worker)

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.lock ./
RUN pip install "$(grep '^babel==' requirements.lock)"
COPY pyproject.toml README.md ./
COPY scripts/build-wheel.sh ./scripts/
COPY bot ./bot
COPY handlers ./handlers
COPY integrations ./integrations
COPY locales ./locales
RUN bash scripts/build-wheel.sh /wheels

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The chart's CJK font (bot/views/chart.py); Latin and Cyrillic come with matplotlib.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock /tmp/requirements.lock
COPY --from=build /wheels /tmp/wheels
RUN pip install --only-binary=:all: -r /tmp/requirements.lock \
    && pip install --no-deps /tmp/wheels/*.whl \
    && rm -rf /tmp/wheels /tmp/requirements.lock \
    && useradd --create-home --uid 10001 bot \
    && mkdir -p /app/var && chown bot /app/var
WORKDIR /app
USER 10001
EXPOSE 8080
# SIGTERM: updates and jobs in hand finish within BOT_SHUTDOWN_TIMEOUT_SECONDS (20 s);
# give the container longer than that to stop (compose: stop_grace_period).
STOPSIGNAL SIGTERM
# /healthz answers 503 while Redis is away or a loop is stuck; the worker's container runs
# `python -m bot healthcheck --worker` (its port: BOT_WORKER_METRICS_PORT), as compose does.
# The bot's: GET http://127.0.0.1:8080/healthz (BOT_WEBHOOK_PORT).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "bot", "healthcheck"]
CMD ["python", "-m", "bot", "run", "--webhook"]
