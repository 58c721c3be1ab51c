#!/usr/bin/env bash
# The chart's CJK font (bot/views/chart.py): installs the Debian package when it is missing.
set -euo pipefail
font="/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
package="fonts-wqy-microhei"
[ -f "$font" ] && exit 0
echo "$package not found: installing the Debian package (Chinese text in charts)" >&2
sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
$sudo_cmd apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "$package" >&2
