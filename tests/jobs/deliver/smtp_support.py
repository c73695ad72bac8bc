"""Shared fixtures for the SMTP tests: a throw-away CA and server certificate
(made with the openssl CLI, kept in /dev/shm), the driver runner, and parsing."""
import os
import subprocess
import tempfile

BUILD = os.environ.get("REPORTD_BUILD_DIR", "build")
DRIVER = os.path.join(BUILD, "tests", "smtp_driver")


class Pki:
    """A CA, a server certificate for localhost/127.0.0.1 signed by it, and a
    second, untrusted CA with its own localhost certificate."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(dir="/dev/shm")
        d = self.dir.name
        self.ca, self.cert, self.key = self._make(d, "ca", "server", "DNS:localhost,IP:127.0.0.1")
        _, self.rogue_cert, self.rogue_key = self._make(d, "rogue", "rogue-server", "DNS:localhost,IP:127.0.0.1")
        _, self.wrong_name_cert, self.wrong_name_key = self._make(d, "ca", "other", "DNS:other.example",
                                                                  reuse_ca=True)

    @staticmethod
    def _run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    def _make(self, d, ca, name, san, reuse_ca=False):
        ca_key, ca_crt = f"{d}/{ca}.key", f"{d}/{ca}.crt"
        if not reuse_ca:
            self._run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt,
                      "-days", "2", "-subj", f"/CN=reportd test {ca}",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        key, csr, crt = f"{d}/{name}.key", f"{d}/{name}.csr", f"{d}/{name}.crt"
        self._run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={name}")
        ext = f"{d}/{name}.ext"
        with open(ext, "w") as f:
            f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        self._run("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
                  "-out", crt, "-days", "2", "-extfile", ext)
        return ca_crt, crt, key

    def close(self):
        self.dir.cleanup()


def run_driver(mode, *args, timeout=60, env=None):
    p = subprocess.run([DRIVER, mode, *[str(a) for a in args]], capture_output=True, timeout=timeout, env=env)
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0:
        raise AssertionError(f"driver exited {p.returncode}: {out} {p.stderr.decode()}")
    return out


def status_of(out):
    return [line for line in out.splitlines() if line.startswith("STATUS")][-1]


def lines_with(out, prefix):
    return [line.split(" ") for line in out.splitlines() if line.startswith(prefix + " ")]
