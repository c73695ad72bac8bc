"""A real PostgreSQL 15 for tests: a throw-away cluster in a temporary
directory, started as the postgres user (the server refuses to run as root)
on a free loopback port and a unix socket in that directory, with TLS on (a
self-signed certificate made here with openssl) and two roles: `postgres`
(trusted on the socket) and `reportd`, owner of the database `reportd`, who
logs in over TCP with a password (scram-sha-256) and TLS only (hostssl).

As a program it wraps a command: `pg_server.py -- CMD ARGS...` starts the
server, runs CMD with REPORTD_TEST_PG_URL set to the socket URL of a fresh
database, stops the server and exits with CMD's status (ctest's
store_pg_test)."""
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reportd_env import on_a_free_port  # noqa: E402

BIN = "/usr/lib/postgresql/15/bin"
PASSWORD = "pg-test-password-4f1c"


def _as_postgres():
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def make_cert(directory, name, cn="localhost"):
    """A self-signed certificate for localhost and 127.0.0.1: NAME.crt, NAME.key."""
    crt, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=" + cn, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", crt], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return crt, key


class PgServer:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="reportd-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = None
        self.ca = None  # the server's self-signed certificate: the CA to trust
        self.started = False

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _pg(self, *args, check=True):
        return subprocess.run(_as_postgres() + list(args), check=check, capture_output=True,
                              text=True, timeout=300)

    def start(self):
        t0 = time.time()
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chmod(self.root, 0o700)
        self._pg(f"{BIN}/initdb", "-D", self.data, "-U", "postgres", "-E", "UTF8", "--no-sync",
                 "--auth-local=trust", "--auth-host=scram-sha-256")
        # TCP takes TLS connections only; the socket trusts local users.
        hba = os.path.join(self.data, "pg_hba.conf")
        with open(hba) as f:
            lines = f.read().splitlines()
        with open(hba, "w") as f:
            f.write("\n".join("hostssl" + l[4:] if l.startswith("host ") else l for l in lines) + "\n")
        self.ca, key = make_cert(self.root, "server")
        if os.geteuid() == 0:
            for f in (self.ca, key):
                os.chown(f, pw.pw_uid, pw.pw_gid)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                    f"ssl = on\nssl_cert_file = '{self.ca}'\nssl_key_file = '{key}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "max_connections = 40\nshared_buffers = 16MB\n")
        on_a_free_port(self._start_on)
        self.started = True
        self.psql("CREATE ROLE reportd LOGIN PASSWORD '%s'" % PASSWORD)
        self.psql("CREATE DATABASE reportd OWNER reportd")
        print(f"pg_server: PostgreSQL 15 on port {self.port} started in {time.time() - t0:.1f}s",
              file=sys.stderr)

    def _start_on(self, port):
        p = self._pg(f"{BIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.root, "log"),
                     "-w", "-t", "120", "-o", f"-p {port}", "start", check=False)
        if p.returncode != 0:
            with open(os.path.join(self.root, "log")) as f:
                log = f.read()
            if "already in use" in log:
                raise OSError(98, "port in use")
            raise AssertionError(f"pg_ctl start failed:\n{p.stdout}{p.stderr}\n{log}")
        self.port = port

    def psql(self, sql, db="postgres"):
        return subprocess.run([f"{BIN}/psql", "-h", self.root, "-p", str(self.port), "-U",
                               "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
                              check=True, capture_output=True, text=True).stdout

    def socket_url(self, db="reportd", user="reportd"):
        return f"postgresql://{user}@/{db}?host={self.root}&port={self.port}"

    def tcp_url(self, query="", db="reportd", user="reportd"):
        return f"postgresql://{user}@127.0.0.1:{self.port}/{db}" + ("?" + query if query else "")

    def stop(self):
        if self.started:
            self._pg(f"{BIN}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop",
                     check=False)
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)


def main(argv):
    if "--" not in argv:
        print("usage: pg_server.py -- CMD ARGS...", file=sys.stderr)
        return 2
    cmd = argv[argv.index("--") + 1:]
    with PgServer() as pg:
        env = dict(os.environ, REPORTD_TEST_PG_URL=pg.socket_url())
        t0 = time.time()
        rc = subprocess.run(cmd, env=env).returncode
        print(f"pg_server: {os.path.basename(cmd[0])} took {time.time() - t0:.1f}s", file=sys.stderr)
        return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
