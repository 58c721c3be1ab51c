#!/usr/bin/env bash
# The Mini App's browser tests drive Debian's Chromium (no browser download): installs the
# Debian package when /usr/bin/chromium is missing.
set -euo pipefail
browser="/usr/bin/chromium"
package="chromium"
[ -x "$browser" ] && exit 0
echo "$package not found: installing the Debian package (Mini App tests in a real browser)" >&2
sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
$sudo_cmd apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$package" >&2
