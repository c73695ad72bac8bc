"""Helpers for tests that run reportd-sfsim: start it, talk HTTPS with its CA."""
import gzip
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import urllib.parse


def sim_binary():
    build = os.environ.get("REPORTD_BUILD_DIR", "")
    path = os.path.join(build, "reportd-sfsim")
    if not os.path.exists(path):
        raise RuntimeError("reportd-sfsim not found in REPORTD_BUILD_DIR=%r" % build)
    return path


class Sim:
    """A running simulator; use as a context manager."""

    def __init__(self, *flags, env=None):
        self.dir = tempfile.mkdtemp(prefix="sfsim-")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        with open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(
                [sim_binary(), "--listen", "127.0.0.1:0", "--state-dir", self.dir, *flags],
                stdout=subprocess.PIPE, stderr=err, text=True,
                env=dict(os.environ, **(env or {})))
        self.base = self.proc.stdout.readline().strip()
        if not self.base.startswith("https://"):
            self.proc.kill()
            with open(self.stderr_path) as err:
                raise RuntimeError("bad first line %r: %s" % (self.base, err.read()))
        with open(os.path.join(self.dir, "org.json")) as f:
            self.org = json.load(f)
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.pem"))
        self.port = int(self.base.rsplit(":", 1)[1])
        self.token = self.org["access_token"]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        """SIGTERM, wait, and return the exit code; removes the state dir.

        Raises when a sanitizer reported anything on the simulator's stderr."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    raise
            with open(self.stderr_path, errors="replace") as f:
                err = f.read()
            for needle in ("ERROR: AddressSanitizer", "WARNING: ThreadSanitizer", "runtime error:",
                           "ERROR: LeakSanitizer"):
                if needle in err:
                    raise AssertionError("reportd-sfsim sanitizer report:\n" + err[-4000:])
            return self.proc.returncode
        finally:
            self.proc.stdout.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def request(self, method, path, body=None, headers=None, host="127.0.0.1", auth=True,
                raw=False):
        """Returns (status, headers dict lower-cased, body bytes or parsed JSON)."""
        conn = http.client.HTTPSConnection(host, self.port, context=self.ctx, timeout=60)
        h = dict(headers or {})
        if auth and self.token and "Authorization" not in h:
            h["Authorization"] = "Bearer " + self.token
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        conn.close()
        if hdrs.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        if not raw and hdrs.get("content-type", "").startswith("application/json") and data:
            data = json.loads(data)
        return resp.status, hdrs, data

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def form(self, path, fields, **kw):
        return self.request("POST", path, body=urllib.parse.urlencode(fields).encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"},
                            auth=False, **kw)

    def query_path(self, soql, kind="query"):
        return "/services/data/v62.0/%s?q=%s" % (kind, urllib.parse.quote(soql))

    def query_all_pages(self, soql, kind="query", headers=None):
        status, _, page = self.get(self.query_path(soql, kind), headers=headers)
        assert status == 200, page
        pages = [page]
        while not page["done"]:
            status, _, page = self.get(page["nextRecordsUrl"], headers=headers)
            assert status == 200, page
            pages.append(page)
        return pages

    def faults(self, **kw):
        return self.request("POST", "/__sim/faults", body=kw, auth=False)

    def stats(self):
        return self.get("/__sim/stats", auth=False)[2]
