#!/usr/bin/env bash
# Brings reportd up on its embedded default: SQLite in ./demo-state, a
# freshly generated master key, and the Salesforce simulator as a demo org.
# It shows the daemon's status, then stops everything (pass --keep to leave
# the daemon and simulator running in the foreground until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
[ "${1:-}" = "--keep" ] && keep=1

./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target reportd reportd-sfsim

bin=build/release
demo="$PWD/demo-state"
mkdir -p "$demo"
chmod 700 "$demo"
[ -f "$demo/master.key" ] || "$bin/reportd" keys generate --out "$demo/master.key"
rd() { "$bin/reportd" --state-dir "$demo/state" --key-file "$demo/master.key" "$@"; }

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# The simulator plays a Salesforce org; it prints its URL and writes org.json.
mkdir -p "$demo/sim"
"$bin/reportd-sfsim" --listen 127.0.0.1:0 --state-dir "$demo/sim" >"$demo/sim/stdout" 2>"$demo/sim/log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$demo/sim/org.json" ] && break; sleep 0.1; done
org() { /usr/bin/python3 -c "import json,sys; print(json.load(open('$demo/sim/org.json'))['$1'])"; }
echo "== Salesforce simulator at $(head -1 "$demo/sim/stdout")"

if ! rd connections list --output json | grep -q '"demo"'; then
  org refresh_token | rd connections add demo --login-url "$(org login_url)" \
    --client-id "$(org client_id)" --org-id "$(org org_id)" --refresh-token-stdin
fi

rd serve 2>"$demo/reportd.log" &
pids+=($!)
for _ in $(seq 100); do
  rd status --output json 2>/dev/null | grep -q '"daemon_running":true' && break
  sleep 0.1
done

echo "== reportd status"
rd status
echo
echo "== reportd connections list"
rd connections list
echo
echo "== daemon log ($demo/reportd.log)"
cat "$demo/reportd.log"

if [ "$keep" = 1 ]; then
  echo "reportd is running; Ctrl-C stops it."
  wait
fi
