#!/usr/bin/python3
"""Claims per second and fire lateness with 1, 2 and 3 `reportd serve`
nodes on one real PostgreSQL 15 (issue #15), for N schedules (default
10,000) all due at second 0 of the same minute.

For each node count: a fresh database, one connection (a running simulated
org) and N schedules `0 * * * * *` (inserted with SQL from one added by the
CLI), the nodes started and ready before the minute; at the minute every
node fires every schedule and the unique insert decides which node claims
each occurrence. Once all N occurrences of that minute are claimed, the
nodes are killed. Figures, from the runs table polled every 0.1 s:
- claims/s: N / (time all were committed - the due instant);
- lateness first/p50/p99/all: when that share of the N claims was
  committed, in seconds after the due instant (0.1 s resolution);
- claims by node.
No [smtp]: the runs that start fail at delivery, cheaply; at most
[limits] max_concurrent_runs of them run at once per node anyway.

    nice -n 10 bench/cluster-claims.py [N] [NODE COUNTS...]   (default 10000 1 2 3)

Uses build/dev (REPORTD_BUILD_DIR); build reportd and reportd-sfsim first.
Prints one CLAIMS line (JSON) per node count."""
import json
import os
import shutil
import signal
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
source = os.path.dirname(here)
os.environ.setdefault("REPORTD_SOURCE_DIR", source)
os.environ.setdefault("REPORTD_BUILD_DIR", os.path.join(source, "build", "dev"))
sys.path.insert(0, os.path.join(source, "tests", "lib"))
from pg_server import PgServer  # noqa: E402
from reportd_env import Sandbox, start_sim, stop, wait_until  # noqa: E402
from serve_case import Daemon  # noqa: E402


def one(n, nodes):
    pg = PgServer()
    pg.start()
    root = tempfile.mkdtemp(prefix="reportd-claims-")
    procs, daemons, boxes = [], [], []
    try:
        proc, org = start_sim(os.path.join(root, "sim"), "--org-number", "1", "--rows-account", "10")
        procs.append(proc)
        cli = Sandbox()
        boxes.append(cli)
        cli.generate_key()
        configs = []
        for i in range(nodes):
            cfg = os.path.join(root, f"node{i}.toml")
            with open(cfg, "w") as f:
                f.write(f'[store]\nurl = "{pg.socket_url()}&application_name=node{i}"\n'
                        f'[salesforce]\nca_file = "{org["ca_file"]}"\n'
                        '[defaults]\nmin_interval = "1s"\n[sync]\ninterval_minutes = 60\n'
                        '[limits]\nfailures_before_pause = 0\nscratch_max_bytes = 16777216\n[http]\nlisten = "127.0.0.1:0"\n')
            configs.append(cfg)
        cli.run("--config", configs[0], "connections", "add", "org1", "--login-url", org["login_url"],
                "--client-id", org["client_id"], "--refresh-token-stdin", stdin=org["refresh_token"] + "\n")
        cli.run("--config", configs[0], "schedules", "add", "s0", "--connection", "org1",
                "--cron", "0 * * * * *", "--soql", "SELECT Id, Name FROM Account", "--format", "csv",
                "--to", "a@example.com")
        cols = pg.psql("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
                       "information_schema.columns WHERE table_name = 'schedules' "
                       "AND column_name NOT IN ('id', 'name')", db="reportd").strip()
        pg.psql(f"INSERT INTO schedules (name, {cols}) SELECT 's' || g, {cols} FROM schedules, "
                f"generate_series(1, {n - 1}) g WHERE name = 's0'", db="reportd")
        # Start so that the nodes are ready well before a minute's second 0.
        while 60 - time.time() % 60 < 45:
            time.sleep(0.5)
        # Created now, after the minute's second 0: a schedule created before
        # it would have that occurrence due at start and run it as a catch-up,
        # and the due minute's occurrence would then be skipped for overlap
        # wherever that run is still queued (about 4,000 of 10,000 with one
        # node, dev build).
        pg.psql(f"UPDATE schedules SET created_at_ms = {int(time.time() * 1000)}", db="reportd")
        for i in range(nodes):
            box = cli if i == 0 else Sandbox()
            if i:
                box.key = cli.key
                boxes.append(box)
            runtime = tempfile.mkdtemp(prefix="reportd-run-", dir=root)
            d = Daemon(box, configs[i], runtime, os.path.join(root, f"node{i}.log"))
            d.spawn()
            daemons.append(d)
        for d in daemons:
            wait_until(lambda: b"event=serve.ready" in open(d.log_path, "rb").read(), timeout=120,
                       what="node ready")
        ready_at = time.time()
        due = int(ready_at // 60 + 1) * 60
        # claimed_at_ms is the wake's instant, the same for a whole batch: the
        # commit times are read by polling the count instead.
        curve = []  # (seconds after the due instant, occurrences committed)

        def committed():
            count = int(pg.psql(f"SELECT count(*) FROM runs WHERE nominal_s = {due}", db="reportd"))
            curve.append((time.time() - due, count))
            return count >= n

        wait_until(committed, timeout=due - time.time() + 600, what="every occurrence claimed",
                   interval=0.1)
        for d in daemons:
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
        rows = [line.split("|") for line in pg.psql(
            f"SELECT claimed_at_ms, coalesce(lease_node, ''), state, split_part(reason, ':', 1) "
            f"FROM runs WHERE nominal_s = {due}", db="reportd").splitlines() if line]
        by_state = {}
        for r in rows:
            key = r[2] + (f" ({r[3]})" if r[3] else "") + ("" if r[1] else ", no lease")
            by_state[key] = by_state.get(key, 0) + 1
        def by(fraction):  # seconds after the due instant when that share was committed
            return round(next(t for t, c in curve if c >= fraction * n), 2)
        by_node = {}
        for r in rows:
            by_node[r[1]] = by_node.get(r[1], 0) + 1
        earlier = int(pg.psql(f"SELECT count(*) FROM runs WHERE nominal_s < {due}", db="reportd"))
        with open(os.path.join(pg.root, "log"), errors="replace") as f:
            deadlocks = f.read().count("deadlock detected")  # claims PostgreSQL failed after 1 s
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        return {"schedules": n, "nodes": nodes, "claims": len(rows),
                "claims_per_s": round(len(rows) / max(0.1, by(1.0))),
                "lateness_s": {"first": by(0.000001), "p50": by(0.5), "p99": by(0.99),
                               "all": by(1.0)},
                "by_node": sorted(by_node.values(), reverse=True), "by_state": by_state,
                "earlier_occurrences": earlier, "pg_deadlocks": deadlocks, "load": load,
                "ready_before_due_s": round(due - ready_at, 1)}
    finally:
        for d in daemons:
            if d.proc and d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait()
        for p in procs:
            stop(p)
        pg.stop()
        for b in boxes:
            b.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def main(argv):
    n = int(argv[1]) if len(argv) > 1 else 10000
    counts = [int(a) for a in argv[2:]] or [1, 2, 3]
    for nodes in counts:
        print("CLAIMS " + json.dumps(one(n, nodes)), flush=True)


if __name__ == "__main__":
    main(sys.argv)
