"""Faults on the wire (issue #18): the real `reportd serve` talks to TWO
Salesforce simulators (two orgs) and to aiosmtpd through chaos proxies
(tests/lib/chaos_proxy.py) that add latency, limit bandwidth, drip bytes,
reset connections mid-body, answer nothing (half-open) and drop SYNs
(blackhole), each for a few seconds, while each org's schedule fires every
2 s to two recipients.

Asserted: every run ends within the run deadline (each call within its own);
each run ends succeeded, or failed with a network or deadline reason (never
`internal`, never a connection marked needs-reauth for a network fault); no
recipient gets a message twice; connects into each blackhole (both
simulators' and, in a last phase of its own, the relay's) happened and each
was given up within its connect deadline; both schedules deliver again once the wire
is clean; afterwards no memfd is open, the daemon holds no more descriptors
than the keep-alive pools allow, no SMTP connection is left open, no scratch
byte is held and no run is in flight when it stops. REPORTD_CHAOS_PHASE_S
sets each phase's length (3 s here)."""
import os
import re
import socket
import sqlite3
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from chaos_proxy import ChaosProxy  # noqa: E402
from reportd_env import start_sim, start_sink  # noqa: E402
from serve_case import Daemon, ServeCase  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sync_test import Org  # noqa: E402

RUN_DEADLINE_S = 12
# Each phase: (org A's mode, its knobs), (org B's and the relay's mode, its
# knobs), held for PHASE_S seconds; knobs None: RESET's for that side.
FAULTS = [
    ("latency", dict(ms=150)),
    ("bandwidth", dict(bytes_per_s=20000)),
    ("drip", dict(ms=4)),
    ("reset", None),  # Salesforce: cut a response body; SMTP: cut the message body
    ("half_open", {}),
    ("blackhole", {}),
]
RESET = {"sf": dict(direction="down", after=1500), "smtp": dict(direction="up", after=1500)}
# Org B and the relay run three phases behind org A: in each phase one org's
# runs get through Salesforce and on to the mail step.
PHASES = [(FAULTS[i], FAULTS[(i + 3) % len(FAULTS)]) for i in range(len(FAULTS))]
PHASE_S = float(os.environ.get("REPORTD_CHAOS_PHASE_S", "3"))
# Why a run may fail while the wire misbehaves: a network error, a missed
# step deadline, the run deadline, a server error the proxy's cut caused.
NETWORK_REASONS = ("deadline", "network", "timeout", "smtp-", "transient", "http-5", "truncated", "tls",
                   "unknown-outcome", "connect", "eof", "reset")


def fds_of(pid):
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return out


class ChaosTest(ServeCase):
    def boot_chaos(self):
        self.orgs, self.proxies = {}, {}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.http_port = s.getsockname()[1]
        for name, number in (("a", 1), ("b", 2)):
            proc, org = start_sim(os.path.join(self.root, "sim-" + name), "--org-number", str(number),
                                  "--rows-account", "40", "--page-size", "20")
            self.procs.append(proc)
            o = Org(org)
            proxy = ChaosProxy("127.0.0.1", o.port, name="sf-" + name)
            self.addCleanup(proxy.stop)
            url = f"https://127.0.0.1:{proxy.port}"
            o.faults(token_instance_url=url)
            self.orgs[name], self.proxies[name] = (o, url), proxy
        sink, port = start_sink(self.mail)
        self.procs.append(sink)
        self.smtp = ChaosProxy("127.0.0.1", port, name="smtp")
        self.addCleanup(self.smtp.stop)
        trusted = os.path.join(self.root, "trusted.pem")
        with open(trusted, "w") as out:
            for o, _ in self.orgs.values():
                with open(o.org["ca_file"]) as f:
                    out.write(f.read())
        self.config = os.path.join(self.root, "reportd.toml")
        with open(self.config, "w") as f:
            f.write(f'[salesforce]\nca_file = "{trusted}"\nrequest_timeout = "3s"\n'
                    f'[smtp]\nhost = "127.0.0.1"\nport = {self.smtp.port}\ntls = "none"\n'
                    'from = "reports@example.com"\ntimeout_seconds = 3\n'
                    '[defaults]\nmin_interval = "1s"\n'
                    '[sync]\ninterval_minutes = 60\n'
                    f'[http]\nlisten = "127.0.0.1:{self.http_port}"\n'
                    f'[limits]\nfailures_before_pause = 0\nrun_deadline = "{RUN_DEADLINE_S}s"\n')
        for name, (o, url) in self.orgs.items():
            self.rd("connections", "add", name, "--login-url", url, "--client-id", o.org["client_id"],
                    "--refresh-token-stdin", stdin=o.org["refresh_token"] + "\n")
            self.rd("schedules", "add", "s" + name, "--connection", name, "--cron", "*/2 * * * * *",
                    "--min-interval", "1s", "--soql", "SELECT Id, Name, Description FROM Account",
                    "--format", "csv", "--to", f"{name}1@example.com,{name}2@example.com")
        self.daemon = Daemon(self.box, self.config, self.runtime_dir, os.path.join(self.root, "reportd.log"))

    def db(self, sql):
        db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"), timeout=30)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def in_flight(self):
        return self.db("SELECT count(*) FROM runs WHERE state IN ('pending', 'running', 'delivering')")[0][0]

    def delivered_since(self, name, ms):
        return self.db("SELECT count(*) FROM runs r JOIN schedules s ON s.id = r.schedule_id "
                       f"WHERE s.name = 's{name}' AND r.state = 'succeeded' AND r.started_at_ms >= {ms}")[0][0]

    def quiesce(self):
        """Pauses both schedules and waits until no run is in flight."""
        for name in self.orgs:
            self.rd("schedules", "pause", "s" + name)
        self.wait_for(lambda: self.in_flight() == 0, timeout=120, what="runs to finish")

    def test_faults_on_the_wire_end_every_call_in_time_and_duplicate_nothing(self):
        self.boot_chaos()
        self.daemon.start()
        pid = self.daemon.proc.pid
        began_ms = int(time.time() * 1000)
        for name in self.orgs:
            self.wait_for(lambda n=name: self.delivered_since(n, 0), timeout=90, what=f"a first run of s{name}")
        self.quiesce()
        before = fds_of(pid)
        for name in self.orgs:
            self.rd("schedules", "resume", "s" + name)

        for (a_mode, a), (b_mode, b) in PHASES:
            self.proxies["a"].set(a_mode, **(a if a is not None else RESET["sf"]))
            self.proxies["b"].set(b_mode, **(b if b is not None else RESET["sf"]))
            self.smtp.set(b_mode, **(b if b is not None else RESET["smtp"]))
            # Pooled keep-alive connections would carry on untouched: reset
            # them, so the next request connects into the fault.
            for p in self.proxies.values():
                p.drop_all()
            time.sleep(PHASE_S)
            # A Salesforce blackhole holds until a connect went into it and
            # the daemon gave up on it (its deadline, not the phase's end).
            for p in self.proxies.values():
                if p.mode == "blackhole":
                    self.wait_for(lambda p=p: p.blackhole_ended(), timeout=60,
                                  what=f"a connect into {p.name}'s hole, given up")
        # Last, the relay alone blackholed, both orgs clean, until a run's
        # mail step connected into it.
        for p in self.proxies.values():
            p.set("pass")
        self.smtp.set("blackhole")
        self.wait_for(lambda: self.smtp.blackhole_ended(), timeout=60,
                      what="a connect into the relay's hole, given up")
        for p in (*self.proxies.values(), self.smtp):
            p.set("pass")
            p.drop_all()  # half-open connections are ended; the daemon's deadlines ended its side
        clean_ms = int(time.time() * 1000)
        for name in self.orgs:
            self.wait_for(lambda n=name: self.delivered_since(n, clean_ms), timeout=90,
                          what=f"s{name} to deliver once the wire is clean")
        self.quiesce()
        after = fds_of(pid)
        self.assertIsNone(self.daemon.proc.poll(), "the daemon survived")
        # No scratch byte and no run coroutine left behind (live gauges; the
        # run count is taken at each heartbeat).
        def metrics():
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=30) as r:
                return r.read().decode()
        self.assertRegex(metrics(), r"(?m)^reportd_scratch_bytes 0$")
        self.wait_for(lambda: re.search(r"(?m)^reportd_runs_active 0$", metrics()), timeout=60,
                      what="reportd_runs_active 0")

        runs = self.db("SELECT r.id, s.name, r.state, r.error_code, r.reason, r.started_at_ms, r.finished_at_ms "
                       f"FROM runs r JOIN schedules s ON s.id = r.schedule_id WHERE r.nominal_s * 1000 >= {began_ms - 2000}")
        states, failures = {}, []
        for rid, sched, state, code, reason, started, finished in runs:
            states[state] = states.get(state, 0) + 1
            self.assertIn(state, ("succeeded", "failed", "skipped", "missed", "cancelled"), (rid, sched, state))
            if started and finished:
                # The run deadline bounds every call; a little slack for the
                # final save on a loaded machine.
                self.assertLessEqual(finished - started, (RUN_DEADLINE_S + 5) * 1000, (rid, reason))
            if state == "failed":
                failures.append((sched, code, reason))
                text = (code + " " + reason).lower()
                self.assertTrue(any(r in text for r in NETWORK_REASONS), (rid, code, reason))
                self.assertNotIn("internal", text, (rid, code, reason))
        self.assertGreater(states.get("succeeded", 0), 0)
        # A network fault is no reason to ask for a new grant.
        conns = dict(self.db("SELECT name, status FROM connections"))
        self.assertEqual(conns, {"a": "ok", "b": "ok"})

        ids = {}
        for m in self.messages():
            key = (m["Message-ID"], m["To"])
            ids[key] = ids.get(key, 0) + 1
        self.assertEqual([k for k, v in ids.items() if v > 1], [], "no recipient got a message twice")

        self.assertEqual([f for f in after if "memfd:" in f], [])
        # Keep-alive pools may hold a few more idle HTTPS connections than
        # before (4 per org at most); nothing else may have grown.
        grown = len(after) - len(before)
        self.assertLessEqual(grown, 8, (sorted(before), sorted(after)))
        self.assertEqual([f for f in after if not f.startswith("socket:")].__len__(),
                         [f for f in before if not f.startswith("socket:")].__len__(), (before, after))
        self.wait_for(lambda: self.smtp.open_connections() == 0, timeout=10, what="SMTP connections closed")
        # Each connect into a blackhole was exercised (simulators and relay)
        # and given up within its own deadline: Salesforce's connect_timeout
        # (10 s), SMTP's timeout_seconds (3 s), plus slack for a loaded machine.
        hung = {p.name: p.blackholed() for p in (*self.proxies.values(), self.smtp)}
        for name, spans in hung.items():
            self.assertGreaterEqual(len(spans), 1, name)
            self.assertLessEqual(max(spans), (3 if name == "smtp" else 10) + 3, (name, spans))
        print(f"CHAOS runs={states} fds_before={len(before)} fds_after={len(after)} "
              f"proxied={{sf-a: {self.proxies['a'].by_mode}, sf-b: {self.proxies['b'].by_mode}, "
              f"smtp: {self.smtp.by_mode}}} blackholed_connects={ {n: len(v) for n, v in hung.items()} } "
              f"longest_s={ {n: round(max(v), 2) for n, v in hung.items()} } "
              f"messages={sum(ids.values())} failures={failures}", file=sys.stderr)
        self.assertEqual(self.daemon.stop(), 0)
        # No run coroutine left behind: none was in flight when it stopped.
        self.assertRegex(self.log().decode(), r"event=serve.stop signal=SIGTERM count=0\b")


if __name__ == "__main__":
    unittest.main(verbosity=2)
