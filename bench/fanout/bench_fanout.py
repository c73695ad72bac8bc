#!/usr/bin/python3
"""Fan-out benchmark (issue #14): many occurrences due in the same second
across many orgs, each Salesforce call answered after a fixed latency.

One reportd-sfsim serves every org (--orgs N --latency-ms L), a release
`reportd serve` on SQLite holds one connection per org and S schedules per
connection, all due at the same second. Delivery goes to Salesforce Files
(a ContentVersion upload to the same simulator, so it pays the same latency)
instead of mail: 10,000 mails through the Python SMTP sink would take longer
than the runs themselves and measure the sink.

Seeding (connections by the CLI, schedules copied in SQL from one the CLI
added) is not measured. Measured, from the runs table and /proc:
  - makespan: from the due second to the last run's final state;
  - the ideal the caps allow: waves of min(global cap, orgs x per-org cap)
    concurrent runs, each run's Salesforce calls one after another at the
    simulated latency, plus one token request per org;
  - lateness (start minus nominal) p50/p99/max, peak RSS (VmHWM) of reportd;
  - the CPU of reportd and of the simulator over the runs (the simulator's
    is noise a real Salesforce would not add to this machine);
  - runs in flight (running or delivering) sampled every 0.25 s, against
    the global cap; the machine's ListenOverflows over the run; calls per
    endpoint.

Usage: bench_fanout.py --build-dir build/release [--orgs 1000 --per-org 10
       --latency-ms 50 --max-concurrent 100 --per-org-cap 4]
Run it niced: nice -n 10 bench/fanout/bench_fanout.py ...
"""
import argparse
import concurrent.futures
import json
import math
import os
import shutil
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

QUERY = "SELECT Id, Name FROM Account"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def listen_overflows():
    """The machine's TcpExt ListenOverflows: connections a full accept queue turned away (system-wide)."""
    with open("/proc/net/netstat") as f:
        lines = f.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split()[1:], values.split()[1:]))["ListenOverflows"])
    return 0


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


class Bench:
    def __init__(self, args):
        self.args = args
        # Seeded on tmpfs (each CLI commit would wait for an fsync), then
        # moved where the daemon's state is to be measured.
        self.root = tempfile.mkdtemp(prefix="reportd-fanout-", dir="/dev/shm")
        self.state = os.path.join(self.root, "state")
        self.key = os.path.join(self.root, "master.key")
        self.config = os.path.join(self.root, "reportd.toml")
        self.reportd = args.reportd or os.path.join(args.build_dir, "reportd")
        self.sfsim = os.path.join(args.sim_build_dir or args.build_dir, "reportd-sfsim")
        self.procs = []

    def rd(self, *a, stdin=None):
        cmd = [self.reportd, "--state-dir", self.state, "--key-file", self.key, "--config", self.config, *a]
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"{a[:2]} exited {p.returncode}: {p.stderr.strip()}")
        return p.stdout

    def start_sim(self):
        a = self.args
        sim_dir = os.path.join(self.root, "sim")
        os.makedirs(sim_dir)
        cmd = [self.sfsim, "--listen", f"127.0.0.1:{a.sim_port}", "--state-dir", sim_dir, "--orgs", str(a.orgs),
               "--latency-ms", str(a.latency_ms), "--rows-account", str(a.rows), "--rows-contact", "0",
               "--rows-opportunity", "0"]
        if a.sim_threads:
            cmd += ["--threads", str(a.sim_threads)]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.procs.append(p)
        if not p.stdout.readline().startswith("https://"):
            raise RuntimeError("reportd-sfsim did not start")
        with open(os.path.join(sim_dir, "orgs.json")) as f:
            self.orgs = json.load(f)
        self.sim = p

    def write_config(self):
        a = self.args
        with open(self.config, "w") as f:
            f.write(f'[salesforce]\nca_file = "{self.orgs["ca_file"]}"\n'
                    f'[limits]\nmax_concurrent_runs = {a.max_concurrent}\nmax_runs_per_org = {a.per_org_cap}\n')

    def reuse_seed(self, seed_dir):
        """A state saved by --save-seed (same --orgs, --per-org and --sim-port)."""
        shutil.copytree(os.path.join(seed_dir, "state"), self.state)
        shutil.copy(os.path.join(seed_dir, "master.key"), self.key)
        self.write_config()
        db = sqlite3.connect(os.path.join(self.state, "reportd.db"))
        self.schedules = db.execute("SELECT count(*) FROM schedules").fetchone()[0]
        db.close()

    def save_seed(self, seed_dir):
        os.makedirs(seed_dir, exist_ok=True)
        shutil.copytree(self.state, os.path.join(seed_dir, "state"))
        shutil.copy(self.key, os.path.join(seed_dir, "master.key"))

    def seed(self):
        a = self.args
        subprocess.run([self.reportd, "--state-dir", self.state, "keys", "generate", "--out", self.key],
                       check=True, capture_output=True)
        self.write_config()
        t0 = time.time()
        orgs = self.orgs["orgs"]

        def add(o):
            self.rd("connections", "add", f"org{o['number']}", "--login-url", o["login_url"], "--client-id",
                    o["client_id"], "--org-id", o["org_id"], "--refresh-token-stdin",
                    stdin=o["refresh_token"] + "\n")
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            list(ex.map(add, orgs))
        # One schedule through the CLI (validated), the rest copied from it.
        target = "001" + "5g0" + "000000001"  # Account row 1, in every org
        self.rd("schedules", "add", "s1-0", "--connection", "org1", "--cron", "0 0 1 1 *", "--tz", "UTC",
                "--soql", QUERY, "--format", "csv", "--files-target", target, "--send-when-empty")
        db = sqlite3.connect(os.path.join(self.state, "reportd.db"))
        cols = [r[1] for r in db.execute("PRAGMA table_info(schedules)") if r[1] not in ("id", "name", "connection_id")]
        conns = db.execute("SELECT id, name FROM connections ORDER BY id").fetchall()
        rows = []
        for cid, cname in conns:
            for i in range(a.per_org):
                if (cname, i) != ("org1", 0):
                    rows.append((f"s{cname[3:]}-{i}", cid))
        db.executemany(f"INSERT INTO schedules (name, connection_id, {', '.join(cols)}) "
                       f"SELECT ?, ?, {', '.join(cols)} FROM schedules WHERE name = 's1-0'", rows)
        db.commit()
        self.schedules = db.execute("SELECT count(*) FROM schedules").fetchone()[0]
        db.close()
        print(f"seeded {len(conns)} connections, {self.schedules} schedules in {time.time() - t0:.1f} s",
              flush=True)

    def move_state(self):
        if self.args.state_on == "tmpfs":
            return
        self.disk = tempfile.mkdtemp(prefix="reportd-fanout-state-", dir=self.args.work_dir)
        dest = os.path.join(self.disk, "state")
        shutil.move(self.state, dest)
        self.state = dest

    def set_due(self, lead_s):
        """Every schedule due at one second, lead_s from now (6-field cron)."""
        due = int(time.time()) + lead_s
        t = time.gmtime(due)
        cron = f"{t.tm_sec} {t.tm_min} {t.tm_hour} {t.tm_mday} {t.tm_mon} *"
        db = sqlite3.connect(os.path.join(self.state, "reportd.db"))
        db.execute("UPDATE schedules SET cron = ?", (cron,))
        db.commit()
        db.close()
        return due

    def serve(self):
        log = open(os.path.join(self.root, "reportd.log"), "wb")
        runtime = tempfile.mkdtemp(prefix="reportd-run-", dir="/dev/shm")
        self.runtime = runtime
        env = dict(os.environ, RUNTIME_DIRECTORY=runtime)
        p = subprocess.Popen([self.reportd, "--state-dir", self.state, "--key-file", self.key, "--config",
                              self.config, "serve"], stdout=subprocess.DEVNULL, stderr=log, env=env)
        log.close()
        self.procs.append(p)
        self.daemon = p
        deadline = time.time() + 120
        while time.time() < deadline:
            with open(os.path.join(self.root, "reportd.log"), "rb") as f:
                if b"event=serve.ready" in f.read():
                    return
            if p.poll() is not None:
                raise RuntimeError(f"reportd serve exited {p.returncode}")
            time.sleep(0.05)
        raise RuntimeError("reportd serve not ready after 120 s")

    def vm(self, key):
        with open(f"/proc/{self.daemon.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        return 0

    def cpu_s(self, pid=None):
        """A process's user + system CPU seconds so far (/proc/PID/stat); the daemon's by default."""
        with open(f"/proc/{pid or self.daemon.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def sockets(self):
        fd_dir = f"/proc/{self.daemon.pid}/fd"
        n = 0
        for fd in os.listdir(fd_dir):
            try:
                n += os.readlink(os.path.join(fd_dir, fd)).startswith("socket:")
            except OSError:
                pass
        return n

    def wait_final(self, due, timeout):
        db = sqlite3.connect(os.path.join(self.state, "reportd.db"), timeout=30)
        finals = "('succeeded', 'failed', 'skipped', 'missed', 'cancelled')"
        deadline = due + timeout
        self.max_sockets = 0
        self.in_flight = []  # runs running or delivering, sampled every 0.25 s from the due second
        next_sample = 0
        while time.time() < deadline:
            n = db.execute(f"SELECT count(*) FROM runs WHERE nominal_s = ? AND state IN {finals}", (due,)).fetchone()[0]
            if n >= self.schedules:
                break
            if time.time() >= due:
                self.in_flight.append(db.execute(
                    "SELECT count(*) FROM runs WHERE nominal_s = ? AND state IN ('running', 'delivering')", (due,)).fetchone()[0])
            if time.time() >= next_sample:  # sockets held: one per open TLS connection, and the listeners
                self.max_sockets = max(self.max_sockets, self.sockets())
                next_sample = time.time() + 2
            time.sleep(0.25)
        rows = db.execute("SELECT state, started_at_ms, finished_at_ms, disposed_at_ms, claimed_at_ms "
                          "FROM runs WHERE nominal_s = ?", (due,)).fetchall()
        db.close()
        return rows

    def sim_calls(self):
        """(API calls, token requests) summed over every org's /__sim/stats."""
        ctx = ssl.create_default_context(cafile=self.orgs["ca_file"])

        def one(o):
            with urllib.request.urlopen(o["login_url"] + "/__sim/stats", context=ctx, timeout=60) as r:
                s = json.load(r)
            return s["api_calls"], s["endpoints"].get("oauth.token", 0), s["endpoints"]
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            got = list(ex.map(one, self.orgs["orgs"]))
        self.endpoints = {}  # calls per endpoint over every org, metered or not
        for g in got:
            for k, v in g[2].items():
                self.endpoints[k] = self.endpoints.get(k, 0) + v
        return sum(g[0] for g in got), sum(g[1] for g in got)

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
        if not self.args.keep:
            shutil.rmtree(self.root, ignore_errors=True)
            shutil.rmtree(getattr(self, "runtime", ""), ignore_errors=True)
            shutil.rmtree(getattr(self, "disk", ""), ignore_errors=True)


def report(b, due, rows, rss_idle, rss_peak, calls, tokens, load_before, cpu, sim_cpu, overflows):
    a = b.args
    n = len(rows)
    states = {}
    for r in rows:
        states[r[0]] = states.get(r[0], 0) + 1
    ends = [max(r[2], r[3]) for r in rows if r[2] or r[3]]
    late = [(r[1] - due * 1000) / 1000 for r in rows if r[1]]
    makespan = (max(ends) - due * 1000) / 1000 if ends else float("nan")
    per_run = calls / n if n else 0  # metered API calls; token requests (per org) are apart
    slots = min(a.max_concurrent, a.orgs * a.per_org_cap)
    waves = max(math.ceil(n / slots), math.ceil(a.per_org / a.per_org_cap))
    ideal = (waves * per_run + 1) * a.latency_ms / 1000
    fl = b.in_flight[:-1]  # the last sample is the tail, fewer than a wave left
    print(json.dumps({
        "orgs": a.orgs, "runs": n, "state_on": a.state_on, "reportd": b.reportd, "states": states, "latency_ms": a.latency_ms,
        "caps": {"global": a.max_concurrent, "per_org": a.per_org_cap},
        "salesforce_calls": calls, "token_requests": tokens, "calls_per_run": round(per_run, 2),
        "ideal_s": round(ideal, 2), "makespan_s": round(makespan, 2),
        "ratio": round(makespan / ideal, 2) if ideal else None,
        "lateness_s": {"p50": round(percentile(late, 50), 3), "p99": round(percentile(late, 99), 3),
                       "max": round(max(late), 3) if late else None},
        "rss_mib": {"before_due": round(rss_idle / 2**20, 1), "peak": round(rss_peak / 2**20, 1)},
        "daemon_cpu_s": {"runs": round(cpu, 2), "per_run_ms": round(1000 * cpu / n, 2) if n else None},
        "sim_cpu_s": {"runs": round(sim_cpu, 2), "per_run_ms": round(1000 * sim_cpu / n, 2) if n else None,
                      "per_call_ms": round(1000 * sim_cpu / (calls + tokens), 3) if calls + tokens else None},
        "in_flight": {"samples": len(fl), "p50": percentile(fl, 50), "max": max(fl) if fl else None,
                      "at_cap_share": round(sum(1 for x in fl if x >= slots) / len(fl), 2) if fl else None},
        "sockets_max": b.max_sockets,
        "listen_overflows": overflows,
        "endpoints": dict(sorted(b.endpoints.items())),
        "load": {"before": load_before, "after": loadavg()},
    }, indent=1), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", required=True, help="where the release reportd is")
    ap.add_argument("--reportd", help="the reportd binary to measure (default: in --build-dir)")
    ap.add_argument("--sim-build-dir", help="where reportd-sfsim is (default: --build-dir)")
    ap.add_argument("--orgs", type=int, default=1000)
    ap.add_argument("--per-org", type=int, default=10, help="schedules per org")
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--max-concurrent", type=int, default=100, help="limits.max_concurrent_runs")
    ap.add_argument("--per-org-cap", type=int, default=4, help="limits.max_runs_per_org")
    ap.add_argument("--rows", type=int, default=20, help="Account rows per org")
    ap.add_argument("--sim-threads", type=int, default=0)
    ap.add_argument("--lead", type=int, default=20, help="seconds from daemon start to the due second")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--state-on", choices=("disk", "tmpfs"), default="disk",
                    help="where the daemon's SQLite file is while measured")
    ap.add_argument("--work-dir", default=None, help="parent of the state directory on disk (default: /tmp)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--sim-port", type=int, default=0, help="fixed port (connections name it: needed with --seed)")
    ap.add_argument("--save-seed", help="copy the seeded state and key here")
    ap.add_argument("--seed", help="start from a state saved by --save-seed instead of seeding")
    args = ap.parse_args()
    b = Bench(args)
    try:
        b.start_sim()
        if args.seed:
            b.reuse_seed(args.seed)
        else:
            b.seed()
            if args.save_seed:
                b.save_seed(args.save_seed)
        b.move_state()
        due = b.set_due(args.lead)
        b.serve()
        rss_idle = b.vm("VmRSS")
        load_before = loadavg()
        cpu_before = b.cpu_s()  # start-up and loading the schedules are not counted
        sim_cpu_before = b.cpu_s(b.sim.pid)
        overflows_before = listen_overflows()
        print(f"serving; due at {due} ({due - time.time():.1f} s from now), RSS {rss_idle / 2**20:.1f} MiB",
              flush=True)
        rows = b.wait_final(due, args.timeout)
        rss_peak = b.vm("VmHWM")
        cpu = b.cpu_s() - cpu_before
        sim_cpu = b.cpu_s(b.sim.pid) - sim_cpu_before
        overflows = listen_overflows() - overflows_before
        calls, tokens = b.sim_calls()
        report(b, due, rows, rss_idle, rss_peak, calls, tokens, load_before, cpu, sim_cpu, overflows)
    finally:
        b.stop()


if __name__ == "__main__":
    sys.exit(main())
