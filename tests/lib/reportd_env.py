"""Shared helpers for tests that drive the real binaries from the build tree."""
import errno
import os
import shutil
import socket
import subprocess
import tempfile
import time

SOURCE_DIR = os.environ.get("REPORTD_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD_DIR = os.environ.get("REPORTD_BUILD_DIR", os.path.join(SOURCE_DIR, "build", "dev"))
REPORTD = os.path.join(BUILD_DIR, "reportd")
SFSIM = os.path.join(BUILD_DIR, "reportd-sfsim")
# How long one CLI command may take: it only bounds a failing test, and a
# loaded machine (bench/kill-loop.sh beside builds) starts ASan binaries slowly.
CLI_TIMEOUT_S = float(os.environ.get("REPORTD_CLI_TIMEOUT_S", "60"))


class Sandbox:
    """A temporary directory with a key file and a state directory."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="reportd-test-")
        self.state = os.path.join(self.root, "state")
        self.key = os.path.join(self.root, "master.key")

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def run(self, *args, stdin=None, key=True, check=True, env=None):
        cmd = [REPORTD, "--state-dir", self.state]
        if key:
            cmd += ["--key-file", self.key]
        cmd += list(args)
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, timeout=CLI_TIMEOUT_S)
        if check and p.returncode != 0:
            raise AssertionError(f"{cmd} exited {p.returncode}\nstdout:{p.stdout}\nstderr:{p.stderr}")
        return p

    def generate_key(self):
        return self.run("keys", "generate", "--out", self.key, key=False)


def files_containing(root, needle: bytes):
    """Every file under root whose bytes contain needle."""
    hits = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            path = os.path.join(dirpath, n)
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        hits.append(path)
            except OSError:
                pass
    return hits


def on_a_free_port(start, attempts=20):
    """Calls start(port) with a loopback port that was free a moment ago, and
    again with another one when something took it in between (start raised
    OSError EADDRINUSE). For servers that need a concrete port; a server that
    can bind port 0 and say which port it got needs none of this."""
    for _ in range(attempts):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            return start(port)
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
    raise AssertionError(f"no free port in {attempts} attempts")


def wait_until(predicate, timeout=180, what="condition", interval=0.1):
    """Polls predicate until it returns something true, and returns that.
    The timeout is generous on purpose: it only bounds a failing test, and a
    loaded 2-core machine running the ASan build is slow."""
    deadline = time.time() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.time() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def start_sim(state_dir, *flags):
    """Starts reportd-sfsim; returns (process, org dict)."""
    import json
    os.makedirs(state_dir, exist_ok=True)
    proc = subprocess.Popen([SFSIM, "--listen", "127.0.0.1:0", "--state-dir", state_dir, *flags],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first = proc.stdout.readline().strip()
    if not first.startswith("https://"):
        proc.kill()
        raise AssertionError(f"reportd-sfsim did not start: {first!r}")
    with open(os.path.join(state_dir, "org.json")) as f:
        org = json.load(f)
    return proc, org


def start_sink(mail_dir):
    """Starts the aiosmtpd sink of tests/lib/smtp_sink.py; returns (process, port)."""
    here = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(here, "smtp_sink.py"), "--dir", mail_dir],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().strip())
    return proc, port


def stop(proc, sig=None):
    import signal as _signal
    if proc.poll() is None:
        proc.send_signal(sig or _signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe:
            pipe.close()
