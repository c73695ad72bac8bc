#!/usr/bin/env bash
# Brings reportd up on its embedded default: SQLite in ./demo-state, a
# freshly generated master key, the Salesforce simulator as a demo org and a
# local SMTP sink. Adds two schedules that fire every 20 seconds, waits for
# the first delivered report and shows where it is and what it contains.
# Stops everything at the end; --keep leaves it running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
[ "${1:-}" = "--keep" ] && keep=1

./scripts/install-deps.sh
# The optimised build, as operators run it.
cmake --preset release >/dev/null
cmake --build --preset release --target reportd reportd-sfsim

bin="$PWD/build/release"
demo="$PWD/demo-state"
# What a previous demo left: its simulator and sink ports are stale now.
rm -rf "$demo/sim" "$demo/mail" "$demo/smtp.port"
mkdir -p "$demo/sim" "$demo/mail"
chmod 700 "$demo"
[ -f "$demo/master.key" ] || "$bin/reportd" keys generate --out "$demo/master.key"
rd() { "$bin/reportd" --state-dir "$demo/state" --key-file "$demo/master.key" --config "$demo/reportd.toml" "$@"; }

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# 1. The simulator plays a Salesforce org: it prints its URL, writes org.json
#    and the CA that signed its certificate.
"$bin/reportd-sfsim" --listen 127.0.0.1:0 --state-dir "$demo/sim" >"$demo/sim/stdout" 2>"$demo/sim/log" &
pids+=($!)
# 2. A local SMTP sink stores what reportd sends in demo-state/mail/.
/usr/bin/python3 tests/lib/smtp_sink.py --dir "$demo/mail" --port-file "$demo/smtp.port" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$demo/sim/org.json" ] && [ -s "$demo/smtp.port" ] && break; sleep 0.1; done
org() { /usr/bin/python3 -c "import json; print(json.load(open('$demo/sim/org.json'))['$1'])"; }
echo "== Salesforce simulator at $(head -1 "$demo/sim/stdout"), SMTP sink on 127.0.0.1:$(cat "$demo/smtp.port")"

cat >"$demo/reportd.toml" <<TOML
[salesforce]
ca_file = "$demo/sim/ca.pem"

[smtp]
host = "127.0.0.1"
port = $(cat "$demo/smtp.port")
tls = "none"          # allowed only for a relay on loopback
from = "reports@demo.example"

[connections.demo]
allowed_domains = ["demo.example"]
TOML

# 3. Connect the demo org (the refresh token goes in on stdin) and schedule
#    two reports.
rd connections remove demo >/dev/null 2>&1 || true
org refresh_token | rd connections add demo --login-url "$(org login_url)" \
  --client-id "$(org client_id)" --org-id "$(org org_id)" --refresh-token-stdin
rd schedules add "Accounts by owner" --connection demo --cron "*/20 * * * * *" --min-interval 15s \
  --soql "SELECT Id, Name, Owner.Name, AnnualRevenue, CreatedDate FROM Account" \
  --format csv,xlsx,html --to sales@demo.example --tz Europe/Berlin
rd schedules add "Open opportunities" --connection demo --cron "10/20 * * * * *" --min-interval 15s \
  --report "$(org report_summary)" --format xlsx --to finance@demo.example --tz America/New_York

# 4. Run the daemon and wait for the first delivered report.
# The binary itself, not the rd function: $! must be reportd's pid, or the
# cleanup would stop a subshell and leave the daemon running.
"$bin/reportd" --state-dir "$demo/state" --key-file "$demo/master.key" --config "$demo/reportd.toml" \
  serve 2>"$demo/reportd.log" &
pids+=($!)
echo "== reportd serve is running (log: demo-state/reportd.log); waiting for the first report..."
for _ in $(seq 900); do [ -s "$demo/mail/index.tsv" ] && break; sleep 0.1; done
if [ ! -s "$demo/mail/index.tsv" ]; then
  echo "demo: no report arrived within 90 s; the daemon's log (demo-state/reportd.log) ends with:" >&2
  tail -20 "$demo/reportd.log" >&2
  exit 1
fi
sleep 1

echo
echo "== reportd status"
rd status
echo
echo "== reportd schedules list"
rd schedules list
echo
echo "== reportd runs"
rd runs
echo
first=$(ls "$demo/mail"/*.eml | head -1)
echo "== The first delivered report: $first"
/usr/bin/python3 - "$first" <<'PY'
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print(f"From: {m['From']}\nTo: {m['To']}\nSubject: {m['Subject']}\n")
for part in m.walk():
    if part.get_content_type() == "text/plain":
        print("\n".join(part.get_payload(decode=True).decode().splitlines()[:14]))
        print("...")
    elif part.get_filename():
        print(f"attachment {part.get_filename()} ({part.get_content_type()}, "
              f"{len(part.get_payload(decode=True))} bytes)")
PY

if [ "$keep" = 1 ]; then
  echo "reportd keeps running; mail lands in demo-state/mail/. Ctrl-C stops it."
  wait
fi
