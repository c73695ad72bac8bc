"""Soak: the real `reportd serve` under load with faults sprinkled in, for a
chosen time, reporting sanitizer findings, RSS and open file descriptors.

Load: --schedules schedules (default 20) firing every --period seconds
(default 10), each a SOQL query of 300 accounts to CSV and XLSX mailed to two
recipients through aiosmtpd: 2 runs a second by default, about twenty times
the demo's two schedules every 20 s. Faults, one every --fault-every seconds
(default 20), in turn: a store pwrite failing once with EIO, then with
ENOSPC (tests/faults/io_fault_shim.c), a SIGHUP reload, and every Salesforce
session expiring; all along the simulator answers every 25th call with a 503
page and cuts every 40th body. A failed WAL sync turns group commit off
until the daemon restarts (store/wal_syncer.hpp), so fsync faults would
leave it on for the first 20 s only: --fsync-faults puts them back (an
fsync failing once instead of the first pwrite). The log's
store.sync_failed lines are counted.

Prints RSS and fd count every minute, then the verdict: sanitizer reports
(must be 0), RSS growth between --settle minutes (default 10) and the end
(must be under 5%), fd count at settle and at the end, and the fewest fds
seen in the minute from --settle and in the last minute (the floor must not
rise: the count itself moves with the runs in flight), with what those
descriptors were. The one allowed rise is idle keep-alive connections to the
simulator, which the HTTPS pool bounds (4 per origin, max_idle_per_origin):
up to POOLED_MAX of them at the floor.
RSS is split by address region (rss_regions.py) at every sample. Under TSan
the bar applies to the program's part: the gross RSS minus TSan's shadow,
meta shadow and trace regions, which keep every page TSan ever touched for
its bookkeeping and so grow with the addresses the program has used, not
with what it holds (README, "Soak"). The gross growth is printed beside it.
Under ASan the bar applies to the gross minus the growth of ASan's
StackDepot (asan_stats.py, read with gdb at every sample, at --settle and at
the end; each read stops the daemon for a fraction of a second): with ASan's
fast frame-pointer unwinder nearly every run adds new "distinct" allocation
stacks, kept for good (about 150 to 190 a run; with fast_unwind_on_malloc=0
they stop at about 5,200, with malloc_context_size=2 at 800). That the fast
unwinder picks up stale stack words in frames of libraries built without
frame pointers is inferred, not seen (README). The heap in use,
ASan's quarantine and its shadow stay in the judged part. The gross growth
is printed beside it; --no-asan-stats judges the gross.
--regions-out FILE keeps each minute's regions (and under ASan its stats
and the runs done so far) as JSON lines.
Exit 0 when all hold.

    /usr/bin/python3 bench/faults/soak.py --build build/dev --minutes 30
    /usr/bin/python3 bench/faults/soak.py --build build/tsan --minutes 30
"""
import argparse
import json
import os
import re
import signal
import ssl
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, HERE)
from rss_regions import regions, tsan_split  # noqa: E402
import asan_stats  # noqa: E402


POOLED_MAX = 8  # idle keep-alive sockets: 4 per origin (login, instance)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def built_with(build, flag):
    """The build directory was configured with `flag` (-fsanitize=thread...)."""
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            return flag in f.read()
    except OSError:
        return False


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def socket_peers():
    """{socket inode: "tcp :PORT" (the peer's port, or "listen :PORT")} for
    TCP over IPv4 and IPv6; other sockets stay unnamed."""
    out = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.readlines()[1:]
        except OSError:
            continue
        for line in rows:
            c = line.split()
            local, peer = int(c[1].rsplit(":", 1)[1], 16), int(c[2].rsplit(":", 1)[1], 16)
            out[c[9]] = f"listen :{local}" if c[3] == "0A" else f"tcp to :{peer}"
    return out


def fd_kinds(pid, names):
    """What each descriptor is: a file's path, a TCP peer's port named by
    `names` ({port: "smtp"}), a memfd, an eventfd...: {kind: count}."""
    peers, kinds = socket_peers(), {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", t)
        if m:
            t = peers.get(m.group(1), "socket (not TCP)")
            port = re.search(r":(\d+)$", t)
            if port and int(port.group(1)) in names:
                t += f" ({names[int(port.group(1))]})"
        elif t.startswith("memfd:"):
            t = "memfd"
        kinds[t] = kinds.get(t, 0) + 1
    return kinds


def sim_faults(base, knobs):
    req = urllib.request.Request(base.rstrip("/") + "/__sim/faults", method="POST",
                                 data=json.dumps(knobs).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=10, context=ssl._create_unverified_context()).read()
    except OSError as e:
        print(f"simulator faults {knobs}: {e}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.path.join(ROOT, "build", "dev"))
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--settle", type=float, default=10)
    p.add_argument("--schedules", type=int, default=20)
    p.add_argument("--period", type=int, default=10)
    p.add_argument("--fault-every", type=float, default=20)
    p.add_argument("--regions-out", help="each minute's RSS by address region, as JSON lines")
    p.add_argument("--fsync-faults", action="store_true",
                   help="fail an fsync too (turns group commit off at the first one)")
    p.add_argument("--asan-stack-frames", type=int, default=8,
                   help="frames ASan records per allocation (malloc_context_size; its default "
                        "is 30); each distinct stack is kept for good in its StackDepot")
    p.add_argument("--no-asan-stats", action="store_true",
                   help="under ASan, do not read its StackDepot and allocator counters with gdb "
                        "(then the bar applies to the gross RSS)")
    a = p.parse_args()
    tsan = built_with(a.build, "-fsanitize=thread")
    asan = built_with(a.build, "-fsanitize=address") and not a.no_asan_stats
    os.environ["REPORTD_BUILD_DIR"] = os.path.abspath(a.build)
    import reportd_env as env  # noqa: E402  (reads REPORTD_BUILD_DIR)

    box = env.Sandbox()
    box.generate_key()
    procs = []
    mail = tempfile.mkdtemp(prefix="reportd-soak-mail-", dir="/dev/shm")
    runtime = tempfile.mkdtemp(prefix="reportd-soak-run-", dir="/dev/shm")
    try:
        sim, org = env.start_sim(os.path.join(box.root, "sim"), "--rows-account", "300")
        procs.append(sim)
        sink, port = env.start_sink(mail)
        procs.append(sink)
        config = os.path.join(box.root, "reportd.toml")
        with open(config, "w") as f:
            f.write(f'[salesforce]\nca_file = "{org["ca_file"]}"\n[smtp]\nhost = "127.0.0.1"\nport = {port}\n'
                    f'tls = "none"\nfrom = "reports@example.com"\n[http]\nlisten = "127.0.0.1:0"\n'
                    f'[limits]\nfailures_before_pause = 0\nmax_concurrent_runs = 16\n')
        box.run("--config", config, "connections", "add", "demo", "--login-url", org["login_url"],
                "--client-id", org["client_id"], "--refresh-token-stdin", stdin=org["refresh_token"] + "\n")
        for i in range(a.schedules):
            box.run("--config", config, "schedules", "add", f"soak-{i}", "--connection", "demo", "--cron",
                    f"*/{a.period} * * * * *", "--min-interval", "1s", "--soql",
                    "SELECT Id, Name, AnnualRevenue FROM Account", "--format", "csv,xlsx",
                    "--to", f"s{i}a@example.com,s{i}b@example.com")
        control = os.path.join(box.root, "faults")
        shim = os.path.join(env.BUILD_DIR, "tests", "io_fault_shim.so")
        log_path = os.path.join(box.root, "reportd.log")
        denv = dict(os.environ, RUNTIME_DIRECTORY=runtime, LD_PRELOAD=shim, REPORTD_FAULT_FILE=control,
                    REPORTD_FAULT_MATCH=os.path.join(box.state, "reportd.db"),
                    ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0:"
                                 f"malloc_context_size={a.asan_stack_frames}:"
                                 "detect_leaks=1:log_path=" + os.path.join(box.root, "asan"),
                    TSAN_OPTIONS=os.environ.get("TSAN_OPTIONS", "") + ":log_path=" +
                                 os.path.join(box.root, "tsan"),
                    UBSAN_OPTIONS="print_stacktrace=1:log_path=" + os.path.join(box.root, "ubsan"))
        with open(log_path, "ab") as log:
            daemon = subprocess.Popen([env.REPORTD, "--state-dir", box.state, "--key-file", box.key,
                                       "--config", config, "serve"], stderr=log,
                                      stdout=subprocess.DEVNULL, env=denv)
        env.wait_until(lambda: b"event=serve.ready" in open(log_path, "rb").read(), timeout=120,
                       what="serve.ready")
        start = time.monotonic()
        settle_at = start + a.settle * 60
        end = start + a.minutes * 60
        settled = None
        # The fd count moves with the runs in flight (sockets, memfds): a
        # leak shows as a rising floor, so the minimum of each 60 s, sampled
        # every second, is compared: the minute from --settle, the last one.
        fd_floor = {"settled": None, "final": None}
        fd_seen = {"settled": None, "final": None}
        samples = []  # (minute, RSS KiB, fds), each minute
        split = {"settled": None, "final": None}  # tsan_split() at --settle and at the end
        # Under ASan: its StackDepot and allocator counters (asan_stats.py)
        # at every sample, at --settle and at the end.
        stats = asan_stats.Reader(daemon.pid, os.path.join(box.root, "asan")) if asan else None
        asan_at = {"settled": None, "final": None}
        last_read = (0.0, None)  # (when, stats) of the last sample's read
        regions_out = open(a.regions_out, "a") if a.regions_out else None
        names = {port: "smtp", int(re.search(r":(\d+)", org["login_url"]).group(1)): "simulator"}
        next_fault = start + a.fault_every
        next_sample = start
        kinds = ["fsync EIO 1\n" if a.fsync_faults else "pwrite EIO 1\n", "sighup", "pwrite ENOSPC 1\n", "expire"]
        k = 0
        sim_url = org["login_url"]
        # Throughout: every 25th Salesforce call a 503 page, every 40th body cut.
        sim_faults(sim_url, {"html_503_every": 25, "cut_body_every": 40})
        while time.monotonic() < end and daemon.poll() is None:
            now = time.monotonic()
            if now >= next_sample:
                sample = (round((now - start) / 60, 1), rss_kib(daemon.pid), fds(daemon.pid))
                samples.append(sample)
                g = regions(daemon.pid)
                parts = tsan_split(g)
                own = f", program {parts['program']} KiB" if tsan else ""
                extra = {"runs_done": open(log_path, "rb").read().count(b"event=run.done")}
                if stats:
                    extra["asan"] = st = stats.read()
                    last_read = (time.monotonic(), st)
                    own = (f", StackDepot {st.get('depot_ids')} stacks {st.get('depot_mib')} MiB, heap in use "
                           f"{st.get('allocated', 0) >> 10} KiB of {st.get('heap', 0) >> 10} mapped")
                print(f"minute {sample[0]:5}: RSS {sample[1]} KiB{own}, {sample[2]} fds, "
                      f"{extra['runs_done']} runs done", flush=True)
                if regions_out:
                    regions_out.write(json.dumps({"minute": sample[0], "rss_kib": sample[1], **parts, **extra,
                                                  "regions": dict(g)}) + "\n")
                    regions_out.flush()
                next_sample += 60
            if settled is None and now >= settle_at:
                settled = (rss_kib(daemon.pid), fds(daemon.pid))
                split["settled"] = tsan_split(regions(daemon.pid))
                if stats:  # the sample's read if it was just taken (one gdb attach, not two)
                    st = last_read[1] if time.monotonic() - last_read[0] < 10 else stats.read()
                    asan_at["settled"] = dict(st, runs_done=open(log_path, "rb").read().count(b"event=run.done"))
            n = fds(daemon.pid)
            for key, inside in (("settled", settle_at <= now < settle_at + 60), ("final", now >= end - 60)):
                if inside and n < (fd_floor[key] or n + 1):
                    fd_floor[key], fd_seen[key] = n, fd_kinds(daemon.pid, names)
            if now >= next_fault:
                kind = kinds[k % len(kinds)]
                k += 1
                if kind == "sighup":
                    daemon.send_signal(signal.SIGHUP)
                elif kind == "expire":
                    sim_faults(sim_url, {"expire_sessions": True})
                else:
                    with open(control, "w") as f:
                        f.write(kind)
                next_fault += a.fault_every
            time.sleep(1)
        alive = daemon.poll() is None
        final = (rss_kib(daemon.pid), fds(daemon.pid)) if alive else (0, 0)
        split["final"] = tsan_split(regions(daemon.pid)) if alive else None
        if stats and alive:
            asan_at["final"] = dict(stats.read(), runs_done=open(log_path, "rb").read().count(b"event=run.done"))
        if settled is None:
            settled = final
            split["settled"] = split["final"]
        env.stop(daemon)
        db = sqlite3.connect(os.path.join(box.state, "reportd.db"))
        states = dict(db.execute("SELECT state, count(*) FROM runs GROUP BY state").fetchall())
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        db.close()
        # A sanitizer log is a report, but for the stats lines asan_stats wrote there.
        reports = [n for n in os.listdir(box.root) if re.match(r"(asan|tsan|ubsan)\.\d+", n)
                   and not (stats and n == f"asan.{daemon.pid}"
                            and not asan_stats.report_text(os.path.join(box.root, n), stats.spans))]
        log_text = open(log_path, "rb").read()
        reports += ["log"] * len(re.findall(rb"ERROR: AddressSanitizer|WARNING: ThreadSanitizer|"
                                           rb"runtime error:", log_text))
        growth = (final[0] - settled[0]) * 100.0 / settled[0] if settled[0] else 0.0
        judged = growth  # the gross, unless TSan's own regions are taken out below
        print(f"soak {a.minutes} min, {a.schedules} schedules every {a.period} s, a fault every "
              f"{a.fault_every} s ({k} faults), build {a.build}")
        print(f"runs: {states}; integrity_check: {integrity}; daemon alive to the end: {alive}")
        print(f"sanitizer reports: {len(reports)} {reports}")
        print(f"store.sync_failed lines: {log_text.count(b'event=store.sync_failed')} "
              f"(group commit {'off after the first' if b'event=store.sync_failed' in log_text else 'on to the end'})")
        print(f"RSS at minute {a.settle}: {settled[0]} KiB, at the end: {final[0]} KiB "
              f"({growth:+.1f}%); fds: {settled[1]} -> {final[1]}; fewest fds in a minute: "
              f"{fd_floor['settled']} from minute {a.settle}, {fd_floor['final']} in the last")
        # Growing or levelling off: the growth in each half of the time after --settle.
        after = [r for m, r, _ in samples if m >= a.settle]
        if len(after) >= 3:
            mid = after[len(after) // 2]
            print(f"RSS growth after minute {a.settle}: first half {(mid - after[0]) * 100.0 / after[0]:+.1f}%, "
                  f"second half {(after[-1] - mid) * 100.0 / mid:+.1f}%")
        if tsan and split["settled"] and split["final"]:
            s0, s1 = split["settled"], split["final"]
            by = ", ".join(f"{k} {s0[k]} -> {s1[k]} ({s1[k] - s0[k]:+})"
                           for k in ("tsan_shadow", "tsan_meta", "tsan_traces", "program"))
            print(f"RSS by region from minute {a.settle} (KiB, smaps): gross {s0['gross']} -> {s1['gross']}; {by}")
            judged = (s1["program"] - s0["program"]) * 100.0 / s0["program"] if s0["program"] else 0.0
            print(f"RSS growth judged (TSan build: the program's part, gross minus TSan's shadow, meta "
                  f"shadow and traces): {judged:+.1f}%; gross {growth:+.1f}%")
        s0, s1 = asan_at["settled"], asan_at["final"]
        if s0 and s1 and "depot_mib" in s0 and "depot_mib" in s1:
            runs = s1["runs_done"] - s0["runs_done"]
            print(f"ASan from minute {a.settle} ({runs} runs done): StackDepot {s0['depot_ids']} -> {s1['depot_ids']} "
                  f"stacks ({(s1['depot_ids'] - s0['depot_ids']) / max(runs, 1):.1f} new a run), "
                  f"{s0['depot_mib']} -> {s1['depot_mib']} MiB; heap in use {s0['allocated'] >> 10} -> "
                  f"{s1['allocated'] >> 10} KiB, mapped {s0['heap'] >> 10} -> {s1['heap'] >> 10} KiB")
            p0, p1 = settled[0] - s0["depot_mib"] * 1024, final[0] - s1["depot_mib"] * 1024
            judged = (p1 - p0) * 100.0 / p0
            print(f"RSS growth judged (ASan build: the gross minus ASan's StackDepot): {p0} -> {p1} KiB "
                  f"{judged:+.1f}%; gross {growth:+.1f}%")
        elif stats:
            print(f"ASan's stats not read ({s0}, {s1}): the bar applies to the gross")
        if fd_seen["settled"] and fd_seen["final"]:
            diff = {k: fd_seen["final"].get(k, 0) - fd_seen["settled"].get(k, 0)
                    for k in set(fd_seen["final"]) | set(fd_seen["settled"])}
            print(f"descriptors at the final floor vs the settled one: "
                  f"{ {k: v for k, v in sorted(diff.items()) if v} }; at the final floor: {fd_seen['final']}")
        floor_ok = (fd_floor["final"] or 0) <= (fd_floor["settled"] or 0)
        if not floor_ok and fd_seen["settled"] and fd_seen["final"]:
            pooled = {k: v for k, v in fd_seen["final"].items() if k.endswith("(simulator)")}
            others = lambda seen: sum(v for k, v in seen.items() if not k.endswith("(simulator)"))  # noqa: E731
            floor_ok = others(fd_seen["final"]) <= others(fd_seen["settled"]) and sum(pooled.values()) <= POOLED_MAX
            print(f"the floor rose by keep-alive connections to the simulator only: {floor_ok} "
                  f"({sum(pooled.values())} held, at most {POOLED_MAX})")
        ok = alive and not reports and judged < 5.0 and floor_ok and integrity == "ok"
        print("verdict:", "ok" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        for proc in procs:
            env.stop(proc)
        import shutil
        shutil.rmtree(mail, ignore_errors=True)
        shutil.rmtree(runtime, ignore_errors=True)
        if os.environ.get("SOAK_KEEP") != "1":
            box.cleanup()


if __name__ == "__main__":
    sys.exit(main())
