"""A fault-injecting TCP proxy for the end-to-end tests (asyncio, in a thread
of the test process). It listens on 127.0.0.1 and forwards each connection to
one target; `set(mode, ...)` chooses what happens to connections accepted
from then on:

  pass                      forward untouched
  latency    ms=            each chunk, either way, delayed by ms
  bandwidth  bytes_per_s=   each direction limited to that rate
  drip       ms=            target -> client one byte every ms (slow drip)
  reset      direction=, after=
                            forward `after` bytes client -> target ("up") or
                            target -> client ("down"), then reset both sides
                            (RST, SO_LINGER 0): a connection cut mid-body
  half_open                 accept, read and drop, never answer or connect
  blackhole                 the listening port drops SYNs: its accept queue
                            is kept full, so a connect hangs until the
                            client's own deadline. Each such connect is
                            seen in SYN-SENT (/proc/net/tcp, polled every
                            50 ms): `blackholed()` gives how long each hung

The port stays the same whatever the mode, so the system under test never
needs reconfiguring. `open_connections()` counts connections still held, for
leak checks on the client side.

Usage:
    proxy = ChaosProxy("127.0.0.1", 8443)
    proxy.set("reset", direction="down", after=4000)
    ...
    proxy.stop()
"""
import asyncio
import socket
import struct
import threading
import time


class ChaosProxy:
    def __init__(self, host, port, name="proxy"):
        self.target = (host, port)
        self.name = name
        self.mode, self.params = "pass", {}
        self.accepted = 0
        self.by_mode = {}
        self._conns = set()
        self._server = None
        self._hole = []  # the blackhole's listening socket and its filler
        self._syn_sent = {}  # client port -> [first, last] seen in SYN-SENT to the hole
        self._watch = None
        self._polled = 0.0  # when /proc/net/tcp was last read
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self._listen(0))
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name=f"chaos-{name}", daemon=True)
        self.thread.start()
        started.wait()

    # -- control (any thread) ------------------------------------------------

    def set(self, mode, **params):
        """Connections accepted from now on get `mode`; those already open
        keep theirs."""
        assert mode in ("pass", "latency", "bandwidth", "drip", "reset", "half_open", "blackhole"), mode
        asyncio.run_coroutine_threadsafe(self._set(mode, params), self.loop).result(timeout=10)

    def blackholed(self):
        """Seconds each connect into the blackhole stayed unanswered (until
        the client gave up or the mode changed), one per connect."""
        async def spans():
            return [b - a for a, b in self._syn_sent.values()]
        return asyncio.run_coroutine_threadsafe(spans(), self.loop).result(timeout=10)

    def blackhole_ended(self):
        """How many connects into the blackhole the client gave up on (gone
        from SYN-SENT while the hole was still there)."""
        async def ended():
            return sum(1 for _, b in self._syn_sent.values() if b < self._polled)
        return asyncio.run_coroutine_threadsafe(ended(), self.loop).result(timeout=10)

    def open_connections(self):
        return len(self._conns)

    def drop_all(self):
        """Resets every connection the proxy holds (half-open ones included)."""
        def drop():
            for c in list(self._conns):
                c.abort()
        self.loop.call_soon_threadsafe(drop)

    def stop(self):
        asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    # -- the loop's side -----------------------------------------------------

    async def _listen(self, port):
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self):
        if self._watch is not None:
            self._watch.cancel()
        for c in list(self._conns):
            c.abort()
        for s in self._hole:
            s.close()
        self._hole = []
        if self._server:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for t in asyncio.all_tasks():
            if t is not asyncio.current_task():
                t.cancel()

    async def _set(self, mode, params):
        if mode == "blackhole" and self.mode != "blackhole":
            self._server.close()
            await self._server.wait_closed()
            self._server = None
            self._hole = _full_listener(self.port)
            self._watch = self.loop.create_task(self._watch_syns({s.getsockname()[1] for s in self._hole}))
        elif mode != "blackhole" and self.mode == "blackhole":
            self._watch.cancel()
            for s in self._hole:
                s.close()
            self._hole = []
            await self._listen(self.port)
        self.mode, self.params = mode, dict(params)

    async def _watch_syns(self, ours):
        """Notes every socket in SYN-SENT to the hole but our fillers."""
        port = f":{self.port:04X}"
        while True:
            now = time.monotonic()
            with open("/proc/net/tcp") as f:
                for line in f.readlines()[1:]:
                    cols = line.split()
                    local = int(cols[1].split(":")[1], 16)
                    if cols[3] == "02" and cols[2] == "0100007F" + port and local not in ours:
                        self._syn_sent.setdefault(local, [now, now])[1] = now
            self._polled = now
            await asyncio.sleep(0.05)

    async def _handle(self, reader, writer):
        mode, params = self.mode, dict(self.params)
        self.accepted += 1
        self.by_mode[mode] = self.by_mode.get(mode, 0) + 1
        conn = _Conn(writer)
        self._conns.add(conn)
        try:
            if mode == "half_open":
                while await reader.read(65536):
                    pass
                return
            try:
                up_r, up_w = await asyncio.wait_for(asyncio.open_connection(*self.target), 10)
            except (OSError, asyncio.TimeoutError):
                return
            conn.other = up_w
            budget = {"left": params.get("after", -1)}
            await asyncio.gather(self._pipe(reader, up_w, "up", mode, params, budget, conn),
                                 self._pipe(up_r, writer, "down", mode, params, budget, conn))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._conns.discard(conn)
            conn.close()

    async def _pipe(self, src, dst, direction, mode, params, budget, conn):
        try:
            while True:
                data = await src.read(16384 if mode != "bandwidth" else 1024)
                if not data:
                    break
                if mode == "latency":
                    await asyncio.sleep(params.get("ms", 100) / 1000)
                elif mode == "bandwidth":
                    await asyncio.sleep(len(data) / params.get("bytes_per_s", 20000))
                elif mode == "reset" and direction == params.get("direction", "down"):
                    if len(data) >= budget["left"]:
                        dst.write(data[:budget["left"]])
                        await dst.drain()
                        conn.abort()
                        return
                    budget["left"] -= len(data)
                if mode == "drip" and direction == "down":
                    for i in range(len(data)):
                        dst.write(data[i:i + 1])
                        await dst.drain()
                        await asyncio.sleep(params.get("ms", 20) / 1000)
                    continue
                dst.write(data)
                await dst.drain()
        except (OSError, asyncio.CancelledError):
            conn.abort()
            return
        # One side closed: pass the close on.
        try:
            if dst.can_write_eof():
                dst.write_eof()
        except OSError:
            pass


class _Conn:
    """Both halves of one proxied connection, to close or reset together."""

    def __init__(self, client):
        self.client, self.other = client, None

    def abort(self):
        for w in (self.client, self.other):
            if w is None:
                continue
            sock = w.get_extra_info("socket")
            try:
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            w.transport.abort()

    def close(self):
        for w in (self.client, self.other):
            if w is not None:
                w.close()


def _full_listener(port, attempts=50):
    """A socket listening on `port` with a backlog of 0 whose accept queue
    one connection of our own keeps full: the kernel drops further SYNs."""
    for _ in range(attempts):
        try:
            ls = socket.socket()
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(("127.0.0.1", port))
            ls.listen(0)
            break
        except OSError:
            ls.close()
            time.sleep(0.05)
    else:
        raise AssertionError(f"could not listen on {port} again")
    fillers = []
    for _ in range(2):
        f = socket.socket()
        f.setblocking(False)
        try:
            f.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(f)
    time.sleep(0.05)
    return [ls, *fillers]
