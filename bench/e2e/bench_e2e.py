"""reportd end to end: one schedule, 1,000,000 rows from the Salesforce
simulator to CSV, delivered by e-mail to an aiosmtpd sink, run by a real
`reportd serve` from the release build.

For the daemon process it measures the run's wall time (started/finished in
the run record), its CPU seconds (utime+stime from /proc/PID/stat, read just
before the fire time and after the run finished) and its peak RSS (VmHWM from
/proc/PID/status, reset just before the run). Beside them, measured in the
same iteration, three floors:
- fetch: the same query's pages fetched over the same HTTPS client with no
  JSON parse (`reportd-bench-query`'s floor; it also prints `client`, the
  pages parsed into a counting sink);
- csv write: as many bytes as the run's outputs written to a memfd;
- smtp: the very message the sink received, sent again to the same sink.

Each iteration uses a fresh state directory and a fresh daemon, so each run is
its connection's first in that process (the release build has an open issue
where a connection's second run stays `running`). Prints every iteration,
then the median and the spread (min-max) of each figure, and the load average.

  cmake --preset release && cmake --build build/release -j2 \
      --target reportd reportd-sfsim reportd-bench-query
  /usr/bin/python3 bench/e2e/bench_e2e.py [--build build/release] [--rows 1000000] [--runs 3]
"""
import argparse
import email
import json
import os
import re
import shutil
import signal
import smtplib
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "lib"))
from reportd_env import stop  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def bench_query_soql():
    """The query reportd-bench-query fetches, read from its source so that
    the floor and the daemon run fetch the very same pages."""
    with open(os.path.join(SOURCE, "bench", "query", "main.cpp")) as f:
        src = f.read()
    m = re.search(r"kSoql\s*=\s*((?:\"[^\"]*\"\s*)+);", src)
    if not m:
        sys.exit("bench_e2e: cannot find kSoql in bench/query/main.cpp")
    return "".join(re.findall(r"\"([^\"]*)\"", m.group(1)))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Iteration:
    def __init__(self, args, sim_org, sink_port, soql, mail_dir, peers):
        self.args, self.org, self.port, self.soql, self.mail = args, sim_org, sink_port, soql, mail_dir
        self.peers = peers  # {"sim": pid, "sink": pid}: their CPU during the run says where the wall went
        self.root = tempfile.mkdtemp(prefix="reportd-bench-e2e-")
        self.state = os.path.join(self.root, "state")
        self.key = os.path.join(self.root, "master.key")
        self.runtime = tempfile.mkdtemp(prefix="reportd-bench-run-", dir="/dev/shm")
        self.config = os.path.join(self.root, "reportd.toml")
        self.log = os.path.join(self.root, "reportd.log")

    def rd(self, *a, stdin=None):
        cmd = [os.path.join(self.args.build, "reportd"), "--state-dir", self.state, "--key-file", self.key,
               "--config", self.config, *a]
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(a[:2])}: {p.stderr.strip()}")
        return p.stdout

    def setup(self, fire_in_s):
        with open(self.config, "w") as f:
            f.write(f'[salesforce]\nca_file = "{self.org["ca_file"]}"\n'
                    f'[smtp]\nhost = "127.0.0.1"\nport = {self.port}\ntls = "none"\n'
                    f'from = "reports@example.com"\nmax_message_bytes = {self.args.max_message_mb << 20}\n')
        subprocess.run([os.path.join(self.args.build, "reportd"), "keys", "generate", "--out", self.key],
                       check=True, capture_output=True)
        self.rd("connections", "add", "bench", "--login-url", self.org["login_url"], "--client-id",
                self.org["client_id"], "--refresh-token-stdin", stdin=self.org["refresh_token"] + "\n")
        fire = time.gmtime(time.time() + fire_in_s)
        cron = f"{fire.tm_sec} {fire.tm_min} {fire.tm_hour} * * *"
        self.rd("schedules", "add", "bench", "--connection", "bench", "--cron", cron, "--tz", "UTC",
                "--soql", self.soql, "--format", "csv", "--to", "bench@example.com")

    def run(self):
        self.setup(fire_in_s=6)
        env = dict(os.environ, RUNTIME_DIRECTORY=self.runtime)
        with open(self.log, "wb") as log:
            proc = subprocess.Popen([os.path.join(self.args.build, "reportd"), "--state-dir", self.state,
                                     "--key-file", self.key, "--config", self.config, "serve"],
                                    stdout=subprocess.DEVNULL, stderr=log, env=env)
        try:
            deadline = time.time() + 30
            while b"event=serve.ready" not in open(self.log, "rb").read():
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("reportd serve did not become ready")
                time.sleep(0.05)
            db = sqlite3.connect(f"file:{self.state}/reportd.db?mode=ro", uri=True, timeout=30)
            idle_rss = status_kib(proc.pid, "VmRSS")
            with open(f"/proc/{proc.pid}/clear_refs", "w") as f:
                f.write("5")  # restart VmHWM from the current RSS
            cpu0 = cpu_seconds(proc.pid)
            peers0 = {k: cpu_seconds(pid) for k, pid in self.peers.items()}
            row = None
            deadline = time.time() + self.args.timeout
            while time.time() < deadline:
                row = db.execute("SELECT id, state, started_at_ms, finished_at_ms, rows, bytes, reason "
                                 "FROM runs ORDER BY id DESC LIMIT 1").fetchone()
                if row and row[1] in ("succeeded", "failed", "skipped"):
                    break
                time.sleep(0.25)
            else:
                raise RuntimeError(f"the run did not finish within {self.args.timeout} s: {row}")
            cpu1 = cpu_seconds(proc.pid)
            peers = {k: cpu_seconds(pid) - peers0[k] for k, pid in self.peers.items()}
            hwm = status_kib(proc.pid, "VmHWM")
            run_id, state, started, finished, rows, out_bytes, reason = row
            sent = db.execute("SELECT COUNT(*) FROM deliveries WHERE run_id = ? AND state = 'sent'",
                              (run_id,)).fetchone()[0]
            db.close()
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=90)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if state != "succeeded" or sent != 1:
            raise RuntimeError(f"run {run_id}: {state}, {sent} sent: {reason}")
        return {"wall": (finished - started) / 1000, "cpu": cpu1 - cpu0, "peak_mb": hwm / 1024,
                "idle_mb": idle_rss / 1024, "rows": rows, "out_mb": out_bytes / 1e6,
                "sim_cpu": peers["sim"], "sink_cpu": peers["sink"]}

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.runtime, ignore_errors=True)


def received_message(mail_dir):
    names = sorted(n for n in os.listdir(mail_dir) if n.endswith(".eml"))
    if len(names) != 1:
        raise RuntimeError(f"expected one message in the sink, found {len(names)}")
    with open(os.path.join(mail_dir, names[0]), "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw)
    parts = [(p.get_filename(), len(p.get_payload(decode=True))) for p in msg.walk() if p.get_filename()]
    return raw, parts


def floor_fetch(args):
    """reportd-bench-query --runs 1: its `floor` and `client` lines."""
    p = subprocess.run([os.path.join(args.build, "reportd-bench-query"), "--rows", str(args.rows), "--runs", "1",
                        "--sim", os.path.join(args.build, "reportd-sfsim")],
                       capture_output=True, text=True, timeout=args.timeout)
    if p.returncode != 0:
        raise RuntimeError("reportd-bench-query: " + p.stderr[-2000:])
    out = {}
    for name in ("floor", "client"):
        m = re.search(rf"^{name}\s+rows=(\d+)\s+wall=([\d.]+)s.*cpu=([\d.]+)s.*peakRSS=([\d.]+)MB", p.stdout, re.M)
        if not m:
            raise RuntimeError("cannot read reportd-bench-query's output:\n" + p.stdout)
        out[name] = {"rows": int(m.group(1)), "wall": float(m.group(2)), "cpu": float(m.group(3)),
                     "peak_mb": float(m.group(4))}
    return out


def floor_csv_write(nbytes):
    """Writes nbytes to a memfd (reportd's scratch) in 64 KiB chunks."""
    chunk = b"x" * 65536
    fd = os.memfd_create("bench-csv")
    try:
        t0, c0 = time.monotonic(), time.process_time()
        left = nbytes
        while left > 0:
            left -= os.write(fd, chunk[:min(left, len(chunk))])
        return {"wall": time.monotonic() - t0, "cpu": time.process_time() - c0}
    finally:
        os.close(fd)


def floor_smtp(raw, port):
    """The message the sink received, sent again to the same sink."""
    t0, c0 = time.monotonic(), time.process_time()
    with smtplib.SMTP("127.0.0.1", port, timeout=300) as s:
        s.sendmail("reports@example.com", ["bench@example.com"], raw)
    return {"wall": time.monotonic() - t0, "cpu": time.process_time() - c0}


def spread(values, fmt):
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(SOURCE, "build", "release"))
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=900, help="seconds allowed for one run")
    ap.add_argument("--max-message-mb", type=int, default=256,
                    help="[smtp] max_message_bytes in MiB (the default 20 would zip the CSV, and the zip of "
                         "1,000,000 rows is still over 20 MiB); the sink accepts twice this")
    args = ap.parse_args()
    for b in ("reportd", "reportd-sfsim", "reportd-bench-query"):
        if not os.path.exists(os.path.join(args.build, b)):
            sys.exit(f"bench_e2e: {args.build}/{b} is missing; build it with\n"
                     f"  cmake --preset release && cmake --build build/release -j2 "
                     f"--target reportd reportd-sfsim reportd-bench-query")
    soql = bench_query_soql()
    load_start = loadavg()
    sim_dir = tempfile.mkdtemp(prefix="reportd-bench-sim-")
    mail_dir = tempfile.mkdtemp(prefix="reportd-bench-mail-", dir="/dev/shm")
    sim = subprocess.Popen([os.path.join(args.build, "reportd-sfsim"), "--listen", "127.0.0.1:0",
                            "--state-dir", sim_dir, "--rows-account", str(args.rows)],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    sink = None
    results = []
    try:
        if not sim.stdout.readline().startswith("https://"):
            sys.exit("bench_e2e: reportd-sfsim did not start")
        with open(os.path.join(sim_dir, "org.json")) as f:
            org = json.load(f)
        sink = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "..", "..", "tests", "lib", "smtp_sink.py"),
                                 "--dir", mail_dir,
                                 "--max-bytes", str(args.max_message_mb << 21)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        port = int(sink.stdout.readline().strip())
        print(f"reportd end to end: {args.rows} rows, SOQL: {soql}\nbuild: {args.build}; "
              f"{os.cpu_count()} CPUs; load average at start: {load_start}", flush=True)
        for i in range(args.runs):
            for n in os.listdir(mail_dir):
                os.unlink(os.path.join(mail_dir, n))
            it = Iteration(args, org, port, soql, mail_dir, {"sim": sim.pid, "sink": sink.pid})
            try:
                d = it.run()
            finally:
                it.cleanup()
            raw, parts = received_message(mail_dir)
            f = floor_fetch(args)
            w = floor_csv_write(int(d["out_mb"] * 1e6))
            s = floor_smtp(raw, port)
            results.append({"daemon": d, "fetch": f["floor"], "client": f["client"], "csv": w, "smtp": s,
                            "mail_mb": len(raw) / 1e6, "parts": parts})
            print(f"run {i + 1}: daemon {d['wall']:.2f}s wall, {d['cpu']:.2f}s CPU, peak RSS {d['peak_mb']:.1f} MB "
                  f"(idle {d['idle_mb']:.1f} MB), {d['rows']} rows, outputs {d['out_mb']:.1f} MB; meanwhile simulator "
                  f"{d['sim_cpu']:.2f}s CPU, sink {d['sink_cpu']:.2f}s CPU; "
                  f"mail {len(raw) / 1e6:.1f} MB {parts} | fetch floor {f['floor']['wall']:.2f}s wall "
                  f"{f['floor']['cpu']:.2f}s CPU | client parse {f['client']['wall']:.2f}s wall "
                  f"{f['client']['cpu']:.2f}s CPU | csv write {w['wall']:.3f}s | smtp resend {s['wall']:.2f}s "
                  f"| load {loadavg()}", flush=True)
    finally:
        if sink is not None:
            stop(sink)
        stop(sim)
        shutil.rmtree(sim_dir, ignore_errors=True)
        shutil.rmtree(mail_dir, ignore_errors=True)

    def col(key, field):
        return [r[key][field] for r in results]
    print(f"\nmedian (min-max) of {len(results)} runs; load average at start {load_start}, at end {loadavg()}")
    print(f"  daemon, the whole run      wall {spread(col('daemon', 'wall'), '{:.2f}')} s   "
          f"CPU {spread(col('daemon', 'cpu'), '{:.2f}')} s   peak RSS {spread(col('daemon', 'peak_mb'), '{:.1f}')} MB")
    print(f"  meanwhile: simulator CPU   {spread(col('daemon', 'sim_cpu'), '{:.2f}')} s   "
          f"SMTP sink CPU {spread(col('daemon', 'sink_cpu'), '{:.2f}')} s")
    print(f"  floor: fetch the pages     wall {spread(col('fetch', 'wall'), '{:.2f}')} s   "
          f"CPU {spread(col('fetch', 'cpu'), '{:.2f}')} s   peak RSS {spread(col('fetch', 'peak_mb'), '{:.1f}')} MB")
    print(f"  fetch + parse (client)     wall {spread(col('client', 'wall'), '{:.2f}')} s   "
          f"CPU {spread(col('client', 'cpu'), '{:.2f}')} s   peak RSS {spread(col('client', 'peak_mb'), '{:.1f}')} MB")
    print(f"  floor: write the CSV bytes wall {spread(col('csv', 'wall'), '{:.3f}')} s   "
          f"CPU {spread(col('csv', 'cpu'), '{:.3f}')} s")
    print(f"  floor: SMTP the message    wall {spread(col('smtp', 'wall'), '{:.2f}')} s   "
          f"(sender CPU {spread(col('smtp', 'cpu'), '{:.2f}')} s)")
    d_wall = statistics.median(col("daemon", "wall"))
    floors = (statistics.median(col("fetch", "wall")) + statistics.median(col("csv", "wall"))
              + statistics.median(col("smtp", "wall")))
    print(f"  daemon wall / sum of the floors' walls: {d_wall / floors:.2f}x; "
          f"daemon CPU / fetch-floor CPU: "
          f"{statistics.median(col('daemon', 'cpu')) / statistics.median(col('fetch', 'cpu')):.2f}x")


if __name__ == "__main__":
    main()
