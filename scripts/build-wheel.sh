#!/usr/bin/env bash
# Builds the wheel into DIR (default dist/) with the compiled catalogs inside the package,
# run in a copy of the source tree (it writes bot/locales): the image's first stage does.
set -euo pipefail
out="${1:-dist}"
pybabel="${PYBABEL:-pybabel}"
for po in locales/*/LC_MESSAGES/messages.po; do
    lang=$(basename "$(dirname "$(dirname "$po")")")
    mkdir -p "bot/locales/$lang/LC_MESSAGES"
    "$pybabel" compile -D messages -i "$po" -o "bot/locales/$lang/LC_MESSAGES/messages.mo" >&2
done
"${PYTHON:-python}" -m pip wheel --quiet --no-deps ${PIP_WHEEL_OPTIONS:-} --wheel-dir "$out" .
