"""`reportd doctor` end to end: the real binary, two Salesforce simulators
(two orgs; org B's refresh token revoked through its OAuth revoke
endpoint), a real aiosmtpd relay with STARTTLS and AUTH (certificate from a
throw-away CA), the real SQLite store and a real `reportd serve` for the
HTTP endpoint check. Each check's line, its fix, `--output json` and the
exit status; no token ever appears in the output."""
import json
import os
import shutil
import ssl
import sys
import unittest
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "jobs", "deliver"))
from reportd_env import on_a_free_port, start_sim  # noqa: E402
from serve_case import Daemon, ServeCase  # noqa: E402
from smtp_support import Pki  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

USER, PASSWORD = "reportd", "doctor p@ss"


class Relay:
    """aiosmtpd with STARTTLS required before AUTH; counts messages (the doctor sends none)."""

    def __init__(self, cert, key):
        self.messages = 0
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)

        def auth(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and data.login == USER.encode() \
                and data.password == PASSWORD.encode()
            return AuthResult(success=ok, handled=False)

        def start(port):
            c = Controller(self, hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
                           authenticator=auth, auth_required=True, auth_require_tls=True,
                           ready_timeout=30)
            c.start()
            return c
        self.controller = on_a_free_port(start)
        self.port = self.controller.port

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        return "250 OK"

    def stop(self):
        self.controller.stop()


def revoke(org, token):
    """POST /services/oauth2/revoke on the simulator, as a user revoking the app would."""
    ctx = ssl.create_default_context(cafile=org["ca_file"])
    data = urllib.parse.urlencode({"token": token}).encode()
    with urllib.request.urlopen(org["login_url"] + "/services/oauth2/revoke", data=data, context=ctx,
                                timeout=30) as r:
        assert r.status == 200


class DoctorTest(ServeCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = Pki()

    @classmethod
    def tearDownClass(cls):
        cls.pki.close()

    def setUp(self):
        super().setUp()
        self.relays = []
        self.orgs = {}
        for name, number in (("a", 1), ("b", 2)):
            proc, org = start_sim(os.path.join(self.root, "sim-" + name), "--org-number", str(number),
                                  "--rows-account", "5")
            self.procs.append(proc)
            self.orgs[name] = org
        self.trusted = os.path.join(self.root, "trusted.pem")
        with open(self.trusted, "w") as out:
            for o in self.orgs.values():
                with open(o["ca_file"]) as f:
                    out.write(f.read())
        self.pwfile = os.path.join(self.root, "smtp.password")
        with open(self.pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(self.pwfile, 0o600)

    def tearDown(self):
        for r in self.relays:
            r.stop()
        super().tearDown()

    def relay(self, cert, key):
        r = Relay(cert, key)
        self.relays.append(r)
        return r

    def write_config(self, smtp_port, http_port=0, name="reportd.toml"):
        path = os.path.join(self.root, name)
        with open(path, "w") as f:
            f.write(f'[salesforce]\nca_file = "{self.trusted}"\n'
                    f'[smtp]\nhost = "localhost"\nport = {smtp_port}\ntls = "starttls"\n'
                    f'ca_file = "{self.pki.ca}"\nusername = "{USER}"\npassword_file = "{self.pwfile}"\n'
                    f'from = "reports@operator.example"\n'
                    f'[http]\nlisten = "127.0.0.1:{http_port}"\n'
                    '[sync]\ninterval_minutes = 60\n')
        self.config = path
        return path

    def add(self, name):
        org = self.orgs[name]
        self.rd("connections", "add", name, "--login-url", org["login_url"], "--client-id", org["client_id"],
                "--refresh-token-stdin", stdin=org["refresh_token"] + "\n")

    def doctor(self, config, *extra, key=True):
        return self.box.run("--config", config, "doctor", *extra, key=key, check=False)

    def by_name(self, p):
        report = json.loads(p.stdout)
        return report, {c["check"]: c for c in report["checks"]}

    def assert_no_secrets(self, p):
        for org in self.orgs.values():
            for secret in (org["refresh_token"], org["access_token"], org.get("client_secret", "")):
                if secret:
                    self.assertNotIn(secret, p.stdout + p.stderr)
        self.assertNotIn(PASSWORD, p.stdout + p.stderr)

    def expected_exit(self, checks):
        return 1 if any(c["status"] == "fail" for c in checks.values()) else 0

    def test_two_orgs_one_revoked_starttls_relay_and_the_running_daemon(self):
        relay = self.relay(self.pki.cert, self.pki.key)
        http_port = on_a_free_port(lambda p: p)
        config = self.write_config(relay.port, http_port)
        self.add("a")
        self.add("b")
        revoke(self.orgs["b"], self.orgs["b"]["refresh_token"])

        p = self.doctor(config)
        self.assert_no_secrets(p)
        lines = p.stdout.splitlines()
        self.assertTrue(any(line.startswith("ok    config: ") for line in lines), p.stdout)
        self.assertTrue(any(line.startswith("ok    key file: 1 key(s)") for line in lines), p.stdout)
        self.assertTrue(any(line.startswith("ok    store: ") and "(current)" in line for line in lines),
                        p.stdout)
        self.assertIn("ok    smtp: localhost:%d answered, TLS certificate verified for localhost, "
                      "AUTH accepted" % relay.port, p.stdout)
        self.assertIn("ok    connection a: token refreshed, org " + self.orgs["a"]["org_id"], p.stdout)
        self.assertRegex(p.stdout, r"(?m)^FAIL  connection b: Salesforce refused its grant; .*invalid_grant")
        self.assertIn("fix: reportd connections reauth b --refresh-token-stdin", p.stdout)
        self.assertIn("skip  http endpoint: the daemon is not running", p.stdout)
        self.assertRegex(p.stdout, r"(?m)^(ok|FAIL)  clock: ")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(relay.messages, 0, "the doctor sends no mail")
        # The doctor only looks: the next run or sync marks b (and tells its owners).
        conns = {c["name"]: c for c in json.loads(self.rd("connections", "list", "--output", "json").stdout)}
        self.assertEqual(conns["b"]["status"], "ok")
        self.assertEqual(conns["a"]["status"], "ok")

        # The running daemon answers on its HTTP endpoint.
        self.daemon = Daemon(self.box, config, self.runtime_dir, os.path.join(self.root, "reportd.log"))
        self.daemon.start()
        p = self.doctor(config, "--output", "json")
        self.assert_no_secrets(p)
        report, checks = self.by_name(p)
        self.assertEqual(checks["http endpoint"]["status"], "ok", p.stdout)
        self.assertIn("answered 200", checks["http endpoint"]["detail"])
        self.assertEqual(checks["connection a"]["status"], "ok")
        self.assertEqual(checks["connection b"]["status"], "fail")
        self.assertIn("connections reauth b", checks["connection b"]["fix"])
        self.assertNotIn("fix", checks["connection a"])
        self.assertIn(checks["clock"]["status"], ("ok", "fail"))
        if checks["clock"]["status"] == "fail":
            self.assertIn("timedatectl set-ntp true", checks["clock"]["fix"])
        self.assertFalse(report["ok"])
        self.assertEqual(p.returncode, 1)

        # Without connection b every check but the clock passes.
        self.rd("connections", "remove", "b")
        p = self.doctor(config, "--output", "json")
        report, checks = self.by_name(p)
        for name, c in checks.items():
            if name != "clock":
                self.assertEqual(c["status"], "ok", p.stdout)
        self.assertEqual(p.returncode, self.expected_exit(checks), p.stdout)
        self.assertEqual(report["ok"], p.returncode == 0)

    def test_untrusted_relay_certificate_and_a_readable_key_file(self):
        rogue = self.relay(self.pki.rogue_cert, self.pki.rogue_key)
        config = self.write_config(rogue.port)
        self.add("a")
        os.chmod(self.box.key, 0o644)
        p = self.doctor(config)
        self.assert_no_secrets(p)
        self.assertIn("FAIL  smtp: localhost:%d: smtp: TLS handshake with localhost failed" % rogue.port,
                      p.stdout)
        self.assertIn("smtp.ca_file", p.stdout)
        self.assertIn("FAIL  key file: key file " + self.box.key + " has mode", p.stdout)
        self.assertIn("fix: ", p.stdout)
        self.assertIn("chmod 600 " + self.box.key, p.stdout)
        self.assertIn("skip  connections: need the config, the master key and a current store", p.stdout)
        self.assertEqual(p.returncode, 1)

    def test_a_bad_config_and_no_store(self):
        broken = os.path.join(self.root, "broken.toml")
        with open(broken, "w") as f:
            f.write("[limits]\nmax_runs_per_org = 0\n")
        shutil.rmtree(self.box.state, ignore_errors=True)
        p = self.doctor(broken, "--output", "json", key=False)
        report, checks = self.by_name(p)
        self.assertEqual(checks["config"]["status"], "fail")
        self.assertIn("limits.max_runs_per_org", checks["config"]["detail"])
        self.assertEqual(checks["key file"]["status"], "fail")
        self.assertIn("systemd-creds encrypt", checks["key file"]["fix"])
        self.assertEqual(checks["store"]["status"], "warn")
        self.assertIn("reportd serve", checks["store"]["fix"])
        self.assertEqual(checks["smtp"]["status"], "skip")
        self.assertEqual(p.returncode, 1)
        self.assertFalse(os.path.exists(os.path.join(self.box.state, "reportd.db")),
                         "the doctor never creates the store")


if __name__ == "__main__":
    unittest.main(verbosity=2)
