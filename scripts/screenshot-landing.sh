#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Renders the exporter's landing page `/` with headless Chromium into a PNG for the docs
# (deb/doc/landing-page.png). Not part of the test suite; needs Debian's chromium
# (apt-get install chromium).
#
# Usage: scripts/screenshot-landing.sh URL [OUT.png]
#   e.g. scripts/demo.sh in one shell, then
#        scripts/screenshot-landing.sh http://127.0.0.1:9092/ deb/doc/landing-page.png
set -euo pipefail
url=${1:?usage: screenshot-landing.sh URL [OUT.png]}
out=${2:-landing-page.png}
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n $browser ]] || { echo "screenshot-landing: chromium not found (apt-get install chromium)" >&2; exit 1; }
curl -fsS -o /dev/null "$url" || { echo "screenshot-landing: $url does not answer" >&2; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --no-sandbox: Chromium refuses to run as root with its sandbox; the page is our own.
"$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$profile" --window-size=800,400 --screenshot="$(realpath -m "$out")" "$url" \
  >/dev/null 2>&1
[[ -s $out ]] || { echo "screenshot-landing: chromium wrote no screenshot" >&2; exit 1; }
echo "$out"
