FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

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
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz').status == 200 else 1)"
CMD ["python", "-m", "bot", "run", "--webhook"]
