FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# The chart's CJK font (bot/views/chart.py); Latin and Cyrillic come with matplotlib.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md requirements.lock ./
COPY bot ./bot
COPY handlers ./handlers
COPY integrations ./integrations
COPY locales ./locales
RUN pip install -r requirements.lock && pip install --no-deps -e . \
    && for po in locales/*/LC_MESSAGES/messages.po; do \
         pybabel compile -D messages -i "$po" -o "${po%.po}.mo"; \
       done \
    && useradd --create-home --uid 10001 bot \
    && mkdir -p /app/var && chown bot /app/var

USER bot
EXPOSE 8080
# 503 while Redis is away or a loop is stuck (urlopen raises); compose checks the same way
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=3)"
CMD ["python", "-m", "bot", "run", "--webhook"]
