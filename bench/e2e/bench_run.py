"""reportd's hot path, whole process: `reportd run NAME --now --dry-run --out
DIR` for one source and format at a time, beside the fetch floor measured in
the same iteration: curl fetching the very same pages from the same simulator
over one TLS connection, asking for gzip as reportd does (`Accept-Encoding:
gzip` with `--compressed`: curl's own `--compressed` also offers br, and the
simulator then compresses Bulk's chunked CSV with Brotli at about 20 s per
20,000-row chunk, which is what made an earlier Bulk floor 138 s).

Cases (all against one `reportd-sfsim --rows-opportunity N`):
- soql-csv, soql-xlsx: 13 Opportunity columns with two relationships
  (about 690 bytes of JSON a row, 2,000-row pages);
- report: the Reports API's tabular report (the API caps it at 2,000 rows);
- bulk: the same SOQL as a Bulk API 2.0 job (CSV results, 20,000-row chunks, as reportd asks).
reportd runs without SSL_CERT_FILE in its environment, as systemd starts
it (with it set, OpenSSL reads the whole system CA bundle first, about 18 ms
of CPU; before session 13 the bench passed on the caller's).
For each: CPU seconds (user+sys, wait4) and peak RSS of the whole reportd
process, its wall time, the outputs' size, and RSS above the outputs. The
peak RSS is /usr/bin/time's %M when Debian's `time` is installed: wait4's own
figure (printed beside it) never reads below this script's RSS at the fork,
about 30 MiB. A dry run sends its outputs to --out with sendfile and no
longer maps them, so since session 9 they are not part of its RSS: the
figure "above outputs" is the whole peak (before session 10 it subtracted
the outputs' size from it, which undercounted since session 9).

  cmake --preset release && cmake --build build/release -j2 --target reportd reportd-sfsim
  /usr/bin/python3 bench/e2e/bench_run.py [--build build/release] [--rows 1000000] [--runs 3]
      [--cases soql-csv,soql-xlsx,report,bulk] [--wrap "strace -c -f -o FILE"] [--keep DIR]
      [--compare BASELINE_BUILD_DIR]
With --compare, the baseline's reportd runs in every iteration as well,
against the same simulator and state, first in every other iteration: on
this shared machine, CPU figures move by 10% from one minute to the next,
and the per-iteration ratio is steadier than two batches run in turn.
Each run prints the sha256 of its outputs (the same pages must give the same
CSV); with both SOQL cases, the summary gives the XLSX/CSV CPU ratio of each
iteration. --keep DIR copies the last run's outputs to DIR/CASE/ (the
simulator's synthetic rows) to open them with another reader. --wrap needs strace or perf (Debian strace, linux-perf); not in
scripts/install-deps.sh, since no test uses them.
"""
import argparse
import base64
import hashlib
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "lib"))
import reportd_env  # noqa: E402
from reportd_env import start_sim, stop  # noqa: E402

SOQL = ("SELECT Id, Name, Account.Name, Owner.Name, StageName, Amount, Probability, "
        "TotalOpportunityQuantity, CloseDate, IsWon, LeadSource, CreatedDate, SystemModstamp "
        "FROM Opportunity")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


TIME = "/usr/bin/time"  # Debian's time: the peak RSS of its child alone


def timed(cmd, env=None, own_rss=False):
    """Runs cmd; returns wall, CPU (user+sys) and peak RSS of the process.
    wait4's ru_maxrss of a child of this script never reads below this
    script's own RSS at the fork (about 30 MiB: Linux keeps the high-water
    mark of the memory the child replaced at exec). With own_rss, the peak
    is /usr/bin/time's %M instead (its child is forked from a 1 MiB process)."""
    rss_file = None
    if own_rss and os.access(TIME, os.X_OK):
        fd, rss_file = tempfile.mkstemp(prefix="reportd-bench-rss-")
        os.close(fd)
        cmd = [TIME, "-f", "%M", "-o", rss_file] + cmd
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {p.returncode}: {err[-2000:]}")
    r = {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "user": ru.ru_utime, "peak_mb": ru.ru_maxrss / 1024,
         "wait4_peak_mb": ru.ru_maxrss / 1024}
    if rss_file:
        with open(rss_file) as f:
            r["peak_mb"] = int(f.read().split()[-1]) / 1024
        os.unlink(rss_file)
    return r


class Org:
    def __init__(self, org):
        self.org = org
        self.base = org["instance_url"]
        self.token = org["access_token"]
        self.ctx = ssl.create_default_context(cafile=org["ca_file"])
        self.data = f"/services/data/v{org['api_version']}"

    def call(self, method, path, body=None):
        req = urllib.request.Request(self.base + path, method=method, data=body,
                                     headers={"Authorization": "Bearer " + self.token,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self.ctx, timeout=600) as r:
            return r.headers, r.read()

    def soql_urls(self, rows):
        """Every page URL of the query: the first, then the cursor's locators."""
        first = self.data + "/query?q=" + urllib.parse.quote(SOQL)
        _, body = self.call("GET", first + "&__probe=1")  # not the page the floor times
        page = json.loads(body)
        step = len(page["records"])
        urls = [first]
        if not page["done"]:
            cursor = page["nextRecordsUrl"].rsplit("-", 1)[0]
            urls += [f"{cursor}-{off}" for off in range(step, rows, step)]
        return urls

    def bulk_urls(self, rows):
        """A completed Bulk 2.0 job's result URLs (locators are base64 offsets)."""
        _, body = self.call("POST", self.data + "/jobs/query",
                            json.dumps({"operation": "query", "query": SOQL}).encode())
        job = json.loads(body)["id"]
        for _ in range(100):
            _, body = self.call("GET", f"{self.data}/jobs/query/{job}")
            if json.loads(body)["state"] == "JobComplete":
                break
            time.sleep(0.05)
        # The chunks reportd asks for (ClientOptions::bulk_max_records), not
        # the server's default size: the floor fetches the same bodies.
        step = 20000
        results = f"{self.data}/jobs/query/{job}/results?maxRecords={step}"
        urls = [results]
        for off in range(step, rows, step):
            loc = base64.urlsafe_b64encode(str(off).encode()).decode().rstrip("=")
            urls.append(results + "&locator=" + loc)
        return urls

    def curl(self, urls, workdir):
        cfg = os.path.join(workdir, "curl.cfg")
        with open(cfg, "w") as f:
            for u in urls:
                f.write(f'url = "{self.base}{u}"\noutput = "/dev/null"\n')
        return timed(["curl", "-sS", "--fail", "--compressed", "-H", "Accept-Encoding: gzip",
                      "--cacert", self.org["ca_file"], "-H", "Authorization: Bearer " + self.token, "-K", cfg])


def setup_state(args, org, root):
    rd = [os.path.join(args.build, "reportd"), "--state-dir", os.path.join(root, "state"),
          "--key-file", os.path.join(root, "master.key"), "--config", os.path.join(root, "reportd.toml")]
    with open(os.path.join(root, "reportd.toml"), "w") as f:
        f.write(f'[salesforce]\nca_file = "{org["ca_file"]}"\n[limits]\nmax_rows_per_run = 100000000\n'
                f'scratch_max_bytes = 8589934592\nscratch_budget_bytes = 8589934592\n')
    subprocess.run([rd[0], "keys", "generate", "--out", os.path.join(root, "master.key")], check=True,
                   capture_output=True)

    def run(*a, stdin=None):
        p = subprocess.run(rd + list(a), input=stdin, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(a[:2])}: {p.stderr.strip()}")
    run("connections", "add", "bench", "--login-url", org["login_url"], "--client-id", org["client_id"],
        "--refresh-token-stdin", stdin=org["refresh_token"] + "\n")
    sources = {"soql-csv": ("--soql", SOQL, "csv"), "soql-xlsx": ("--soql", SOQL, "xlsx"),
               "report": ("--report", org["report_tabular"], "csv"), "bulk": ("--bulk", SOQL, "csv")}
    for name, (flag, source, fmt) in sources.items():
        run("schedules", "add", name, "--connection", "bench", "--cron", "0 0 1 1 *", "--tz", "UTC",
            flag, source, "--format", fmt, "--to", "bench@example.com")
    return rd


def dir_bytes(d):
    return sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))


def dir_sha256(d):
    """sha256 over the outputs' bytes (by name): the same pages must give the same CSV.
    XLSX is a zip with timestamps inside, so only its CSV-bearing cases are compared."""
    h = hashlib.sha256()
    for n in sorted(os.listdir(d)):
        with open(os.path.join(d, n), "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def spread(values, fmt="{:.2f}"):
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(SOURCE, "build", "release"))
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cases", default="soql-csv,soql-xlsx,report,bulk")
    ap.add_argument("--wrap", default="",
                    help='command put before reportd run, e.g. "strace -c -f -o /tmp/s.txt" '
                         '(its figures then include the wrapper\'s)')
    ap.add_argument("--keep", default="",
                    help="directory to keep the last run's outputs in, one subdirectory per case "
                         "(e.g. to open the workbook with openpyxl); they hold the simulator's rows")
    ap.add_argument("--compare", default="",
                    help="a second build directory (the baseline): its reportd runs in every iteration "
                         "too, on the same state and simulator, before or after this build's in turn; the "
                         "summary gives its figures and the per-iteration CPU ratio")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    reportd_env.SFSIM = os.path.join(args.build, "reportd-sfsim")  # the release one, not dev's
    cases = args.cases.split(",")
    root = tempfile.mkdtemp(prefix="reportd-bench-run-")
    out_dir = tempfile.mkdtemp(prefix="reportd-bench-out-", dir="/dev/shm")
    sim, org_json = start_sim(os.path.join(root, "sim"), "--rows-opportunity", str(args.rows))
    results = {c: [] for c in cases}
    results_b = {c: [] for c in cases}
    try:
        org = Org(org_json)
        rd = setup_state(args, org_json, root)
        rd_b = [os.path.join(os.path.abspath(args.compare), "reportd")] + rd[1:] if args.compare else None
        # As systemd starts the service: no SSL_CERT_FILE. With it set (an
        # interactive shell may set it), OpenSSL reads the whole system CA
        # bundle at start, about 18 ms, where reportd otherwise reads the one
        # CA a chain needs from /etc/ssl/certs (crypto/system_cas.hpp).
        env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "NIX_SSL_CERT_FILE")}
        env["RUNTIME_DIRECTORY"] = out_dir
        print(f"reportd run --dry-run: {args.rows} Opportunity rows; {os.cpu_count()} CPUs; "
              f"load average at start {loadavg()}", flush=True)
        for i in range(args.runs):
            for case in cases:
                if case.startswith("soql"):
                    urls = org.soql_urls(args.rows)
                elif case == "bulk":
                    urls = org.bulk_urls(args.rows)
                else:
                    urls = [f"{org.data}/analytics/reports/{org_json['report_tabular']}?includeDetails=true"]
                floor = org.curl(urls, root)
                outs = os.path.join(out_dir, "o")

                def run_one(cmd, keep):
                    os.makedirs(outs, exist_ok=True)
                    r = timed(args.wrap.split() + cmd + ["run", case, "--now", "--dry-run", "--out", outs],
                              env=env, own_rss=not args.wrap)
                    r["out_mb"] = dir_bytes(outs) / 2**20
                    r["sha256"] = dir_sha256(outs)
                    if keep:
                        shutil.copytree(outs, os.path.join(args.keep, case), dirs_exist_ok=True)
                    shutil.rmtree(outs)
                    # A dry run does not map its outputs (sendfile from the memfd),
                    # so none of its RSS is theirs: all of the peak is above them.
                    r["above_mb"] = r["peak_mb"]
                    return r
                keep = bool(args.keep) and i == args.runs - 1
                if args.compare and i % 2 == 1:  # the baseline first every other iteration
                    b = run_one(rd_b, False)
                r = run_one(rd, keep)
                if args.compare and i % 2 == 0:
                    b = run_one(rd_b, False)
                if args.compare:
                    results_b[case].append(b)
                    print(f"run {i + 1} {case:9s}: baseline {b['wall']:.2f}s wall {b['cpu']:.2f}s CPU "
                          f"({b['user']:.2f}s user; this build {r['user']:.2f}s user) "
                          f"peak {b['peak_mb']:.1f} MiB | load {loadavg()} | sha256 {b['sha256'][:16]}"
                          f"{'' if b['sha256'] == r['sha256'] else ' DIFFERS'}", flush=True)
                results[case].append({"reportd": r, "floor": floor})
                print(f"run {i + 1} {case:9s}: reportd {r['wall']:.2f}s wall {r['cpu']:.2f}s CPU "
                      f"peak {r['peak_mb']:.1f} MiB (wait4 {r['wait4_peak_mb']:.1f}; outputs {r['out_mb']:.1f} MiB, "
                      f"above {r['above_mb']:.1f}) | "
                      f"curl floor {floor['wall']:.2f}s wall {floor['cpu']:.2f}s CPU "
                      f"{floor['peak_mb']:.1f} MiB | load {loadavg()} | sha256 {r['sha256'][:16]}",
                      flush=True)
    finally:
        stop(sim)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(out_dir, ignore_errors=True)
    print(f"\nmedian (min-max) of {args.runs} runs; load average at end {loadavg()}")
    for case in cases:
        rs = [x["reportd"] for x in results[case]]
        fs = [x["floor"] for x in results[case]]
        wall_ratio = [x["reportd"]["wall"] / x["floor"]["wall"] for x in results[case]]
        print(f"  {case:9s} reportd wall {spread([r['wall'] for r in rs])} s  CPU {spread([r['cpu'] for r in rs])} s  "
              f"peak {spread([r['peak_mb'] for r in rs], '{:.1f}')} MiB  above outputs "
              f"{spread([r['above_mb'] for r in rs], '{:.1f}')} MiB  outputs {rs[0]['out_mb']:.1f} MiB")
        print(f"  {'':9s} curl    wall {spread([f['wall'] for f in fs])} s  CPU {spread([f['cpu'] for f in fs])} s  "
              f"peak {spread([f['peak_mb'] for f in fs], '{:.1f}')} MiB;  wall/floor {spread(wall_ratio)}x")
        if args.compare:
            bs = results_b[case]
            ratio = [r["cpu"] / b["cpu"] for r, b in zip(rs, bs)]
            user_ratio = [r["user"] / b["user"] for r, b in zip(rs, bs)]
            print(f"  {'':9s} baseline wall {spread([b['wall'] for b in bs])} s  CPU {spread([b['cpu'] for b in bs])} s  "
                  f"peak {spread([b['peak_mb'] for b in bs], '{:.1f}')} MiB;  CPU this/baseline "
                  f"{spread(ratio, '{:.3f}')} (per iteration: {' '.join(f'{x:.3f}' for x in ratio)}); "
                  f"user CPU this/baseline {spread(user_ratio, '{:.3f}')} (user s: this "
                  f"{spread([r['user'] for r in rs])}, baseline {spread([b['user'] for b in bs])})")
    if "soql-csv" in results and "soql-xlsx" in results:
        pairs = [x["reportd"]["cpu"] / c["reportd"]["cpu"] for x, c in zip(results["soql-xlsx"], results["soql-csv"])]
        print(f"  XLSX/CSV CPU, run by run: {' '.join(f'{p:.2f}x' for p in pairs)}; median {spread(pairs)}x")


if __name__ == "__main__":
    main()
