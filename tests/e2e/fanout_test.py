"""Fan-out across many orgs, short (issue #14; bench/fanout is the long one):
one reportd-sfsim serving 50 orgs with 50 ms per call, the real `reportd
serve` with seven of them connected (pinned to their orgs), two schedules
each, all due in the same second, and a real SMTP server.

Every run succeeds, each org's caps hold, and each mail holds its own org's
marker only: no org's data reaches another org's schedule."""
import json
import os
import re
import sqlite3
import ssl
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from reportd_env import SFSIM, start_sink  # noqa: E402
from serve_case import Daemon, ServeCase  # noqa: E402

# Random per test process: no copy of this source can match.
MARKER = "QQX7-FANOUT-" + os.urandom(5).hex().upper()
SERVED, CONNECTED, PER_ORG, PER_ORG_CAP = 50, (1, 9, 17, 25, 33, 41, 50), 2, 1
QUERY = "SELECT Id, Name, Description FROM Account"


def content(m):
    """Every part of a message, decoded (attachments are base64 on the wire)."""
    return m.as_bytes() + b"".join(p.get_payload(decode=True) or b"" for p in m.walk()
                                   if not p.is_multipart())


class FanoutTest(ServeCase):
    def start_orgs(self):
        import subprocess
        sim_dir = os.path.join(self.root, "sim")
        os.makedirs(sim_dir)
        proc = subprocess.Popen([SFSIM, "--listen", "127.0.0.1:0", "--state-dir", sim_dir, "--orgs", str(SERVED),
                                 "--latency-ms", "50", "--rows-account", "20", "--marker", MARKER],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.procs.append(proc)
        self.assertTrue(proc.stdout.readline().startswith("https://"))
        with open(os.path.join(sim_dir, "orgs.json")) as f:
            doc = json.load(f)
        self.ca_file = doc["ca_file"]
        return {o["number"]: o for o in doc["orgs"]}

    def sim_stats(self, org):
        ctx = ssl.create_default_context(cafile=self.ca_file)
        with urllib.request.urlopen(org["login_url"] + "/__sim/stats", context=ctx, timeout=60) as r:
            return json.load(r)

    def runs_of_due(self, due):
        db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"), timeout=30)
        try:
            return db.execute("SELECT s.name, r.state, r.started_at_ms, r.finished_at_ms FROM runs r "
                              "JOIN schedules s ON s.id = r.schedule_id WHERE r.nominal_s = ?", (due,)).fetchall()
        finally:
            db.close()

    def test_runs_across_orgs_each_with_its_own_data(self):
        orgs = self.start_orgs()
        sink, port = start_sink(self.mail)
        self.procs.append(sink)
        self.write_config(self.ca_file, port,
                          f'[limits]\nmax_concurrent_runs = 4\nmax_runs_per_org = {PER_ORG_CAP}\n')
        for k in CONNECTED:
            o = orgs[k]
            self.rd("connections", "add", f"org{k}", "--login-url", o["login_url"], "--client-id", o["client_id"],
                    "--org-id", o["org_id"], "--refresh-token-stdin", stdin=o["refresh_token"] + "\n")
            for i in range(PER_ORG):
                self.rd("schedules", "add", f"org{k}-s{i}", "--connection", f"org{k}", "--cron", "0 0 1 1 *",
                        "--tz", "UTC", "--soql", QUERY, "--format", "csv", "--to", f"org{k}@example.com",
                        "--subject", f"fanout org{k} s{i}")
        # All due in one second (6-field cron), a few seconds after the start.
        due = int(time.time()) + 8
        t = time.gmtime(due)
        db = sqlite3.connect(os.path.join(self.box.state, "reportd.db"))
        db.execute("UPDATE schedules SET cron = ?",
                   (f"{t.tm_sec} {t.tm_min} {t.tm_hour} {t.tm_mday} {t.tm_mon} *",))
        db.commit()
        db.close()
        self.daemon = Daemon(self.box, self.config, self.runtime_dir, os.path.join(self.root, "reportd.log"))
        self.daemon.start()
        total = len(CONNECTED) * PER_ORG
        finals = ("succeeded", "failed", "skipped", "missed", "cancelled")
        self.wait_for(lambda: len([r for r in self.runs_of_due(due) if r[1] in finals]) == total,
                      timeout=120, what=f"{total} runs due at {due} to end")
        runs = self.runs_of_due(due)
        self.assertEqual(sorted(r[1] for r in runs), ["succeeded"] * total, runs)

        # The per-org cap held: no org had two runs at once.
        for k in CONNECTED:
            spans = sorted((r[2], r[3]) for r in runs if r[0].startswith(f"org{k}-"))
            for (_, end), (start, _) in zip(spans, spans[1:]):
                self.assertLessEqual(end, start, f"org{k} ran two at once: {spans}")

        # Each mail holds its own org's marker, and no other org's.
        self.wait_for(lambda: len(self.messages()) >= total, timeout=60, what=f"{total} mails")
        mails = self.messages()
        self.assertEqual(len(mails), total)
        for m in mails:
            k = int(re.match(r"fanout org(\d+) s\d", m["Subject"]).group(1))
            self.assertIn(f"org{k}@example.com", m["To"])
            seen = set(int(n) for n in re.findall(re.escape(MARKER).encode() + rb"-(\d+)-", content(m)))
            self.assertEqual(seen, {k}, m["Subject"])

        # Only the connected orgs were called, each with its own client.
        for k, o in orgs.items():
            stats = self.sim_stats(o)
            tokens = stats["endpoints"].get("oauth.token", 0)
            if k in CONNECTED:
                # One query per run (the schedule sync adds its own queryAll).
                self.assertEqual(stats["endpoints"].get("query", 0), PER_ORG, (k, stats))
                self.assertGreaterEqual(tokens, 1, k)
                self.assertNotIn("oauth.error.invalid_client_id", stats["endpoints"], k)
            elif k in (2, 26, 49):  # a few of the others
                self.assertEqual((stats["api_calls"], tokens), (0, 0), k)


if __name__ == "__main__":
    import unittest
    unittest.main()
