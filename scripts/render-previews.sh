#!/usr/bin/env bash
# Pictures of what recipients get, for a person to look at: the first page
# of a sample PDF, a landscape page of a wide table, and the HTML e-mail body
# at desktop and phone widths (headless Chromium). Synthetic data only.
#   scripts/render-previews.sh [BUILD_DIR=build/dev] [OUT_DIR=doc]
# Needs poppler-utils (pdftoppm) and chromium.
set -euo pipefail
build=${1:-build/dev}
out=${2:-doc}
mkdir -p "$out"
tmp=$(mktemp -d /dev/shm/reportd-previews.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

"$build/tests/render_pdf" "$tmp" 60 Europe/Paris --scripts --wide 16 --mail >/dev/null 2>"$tmp/log"
pages=$(pdfinfo "$tmp/report.pdf" | awk '/^Pages:/ {print $2}')
pdftoppm -png -r 60 -f 1 -l 1 -singlefile "$tmp/report.pdf" "$out/pdf-page-1"
pdftoppm -png -r 60 -f "$((pages - 1))" -l "$((pages - 1))" -singlefile "$tmp/report.pdf" "$out/pdf-page-scripts"
pdftoppm -png -r 50 -f "$pages" -l "$pages" -singlefile "$tmp/report.pdf" "$out/pdf-page-wide"

chrome=$(command -v chromium || command -v chromium-browser)
shot() {  # WIDTH HEIGHT FILE
  "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/chrome" \
    --window-size="$1,$2" --screenshot="$3" "file://$tmp/mail.html" >/dev/null 2>&1
}
shot 800 1400 "$out/mail-desktop.png"
shot 390 1400 "$out/mail-phone.png"
ls -l "$out"/pdf-page-*.png "$out"/mail-*.png
