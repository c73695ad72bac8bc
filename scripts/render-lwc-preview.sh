#!/usr/bin/env bash
# Pictures of the Salesforce schedule editor component for the README: Jest
# renders the real component (salesforce/force-app/main/default/lwc/
# reportdScheduleEditor, its template and code, a synthetic record from the
# mocked getRecord) and writes each render as an HTML page styled by SLDS
# (__tests__/preview.*.test.js); headless Chromium screenshots the pages.
#   scripts/render-lwc-preview.sh [OUT_DIR=doc]
# Writes OUT_DIR/lwc-editor-en.png (a synced schedule) and
# OUT_DIR/lwc-editor-de.png (German, an edit in progress with a bad
# recipient). Needs npm (installs salesforce/node_modules when missing) and
# chromium.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-doc}")
mkdir -p "$out"
tmp=$(mktemp -d /dev/shm/reportd-lwc-preview.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cd "$root/salesforce"
[ -x node_modules/.bin/sfdx-lwc-jest ] || npm ci --no-audit --no-fund --loglevel=error
if ! REPORTD_PREVIEW_OUT="$tmp" node_modules/.bin/sfdx-lwc-jest -- --ci \
    --testPathPattern 'preview\.(en|de)\.test' >"$tmp/jest.log" 2>&1; then
  cat "$tmp/jest.log" >&2
  exit 1
fi

chrome=$(command -v chromium || command -v chromium-browser)
# The time input's format is Chromium's own locale (en-US here), not the
# page's language.
shot() {  # LANGUAGE HEIGHT
  "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars --lang="$1" \
    --user-data-dir="$tmp/chrome-$1" --window-size="760,$2" \
    --screenshot="$out/lwc-editor-$1.png" "file://$tmp/lwc-editor-$1.html" >/dev/null 2>&1
}
shot en 1050
shot de 1105
ls -l "$out"/lwc-editor-*.png
