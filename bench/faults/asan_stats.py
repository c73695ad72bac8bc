"""ASan's own bookkeeping in a running ASan build of reportd, read with gdb:
its StackDepot (the allocation and free stack of every heap block, kept for
good: distinct stacks and the bytes they take) and its allocator's counters
(bytes in use, mapped heap, free, unmapped). soak.py reads it at every sample
of an ASan daemon and judges the RSS bar on the gross minus the StackDepot's
growth (README, "Soak").

Each read attaches gdb (the daemon stops for a fraction of a second), calls
`__asan_print_accumulated_stats()`, which writes its lines to ASan's log
(ASAN_OPTIONS log_path, the file PREFIX.PID), and prints the
`__sanitizer_get_*` counters (sanitizer/allocator_interface.h). The log
bytes each read adds are recorded (`spans`), so that soak.py can tell them
from a sanitizer report (`report_text`).

    /usr/bin/python3 bench/faults/asan_stats.py PID LOG_PREFIX
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

COUNTERS = ("current_allocated_bytes", "heap_size", "free_bytes", "unmapped_bytes")
DEPOT = re.compile(r"Stats: StackDepot: (\d+) ids; (\d+)M allocated")
PRIMARY = re.compile(r"Stats: SizeClassAllocator64: (\d+)M mapped \((\d+)M rss\)")
QUARANTINE = re.compile(r"Global quarantine stats: batches: \d+; bytes: (\d+)")
# The lines __asan_print_accumulated_stats() writes (asan_stats.cpp and the
# allocators' PrintStats): "Stats: ..." and the size-class tables under them.
STATS_LINE = re.compile(r"^(Stats: .*|\s+mallocs by size class: .*|\s*\d+ \(\s*\d+\): .*|"
                        r"Quarantine limits: .*|Global quarantine stats: .*|)$")


class Reader:
    def __init__(self, pid, log_prefix):
        self.pid, self.log = pid, f"{log_prefix}.{pid}"
        self.spans = []  # (start, end) byte offsets of the log written by our reads

    def size(self):
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    def read(self):
        """{"depot_ids", "depot_mib", "allocated", "heap", "free", "unmapped",
        "primary_mapped_mib", "primary_rss_mib", "quarantine", "stop_s",
        "gdb_s"} (bytes unless named), or {"error": ...}."""
        # The executable's symbols are read before attaching (for a dev
        # build, seconds), so the daemon stops for the attach and the calls
        # only; `stop_s` is that stop (the shell markers around it).
        try:
            exe = os.readlink(f"/proc/{self.pid}/exe")
        except OSError as e:
            return {"error": str(e)}
        cmd = ["gdb", "-batch", "-nx", "-q", "--readnever", "-iex", "set auto-solib-add off", exe,
               "-ex", "shell date +STOP%s.%N", "-ex", f"attach {self.pid}", "-ex", "sharedlibrary libasan",
               "-ex", "call (void)__asan_print_accumulated_stats()"]
        for c in COUNTERS:
            cmd += ["-ex", f"print (unsigned long)__sanitizer_get_{c}()"]
        cmd += ["-ex", "detach", "-ex", "shell date +STOP%s.%N"]
        before = self.size()
        t0 = time.monotonic()
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            # A gdb killed while attached can leave the daemon stopped.
            try:
                os.kill(self.pid, signal.SIGCONT)
            except OSError:
                pass
            return {"error": str(e)[-60:]}
        took = round(time.monotonic() - t0, 2)
        marks = [float(m) for m in re.findall(r"^STOP([\d.]+)$", out, re.M)]
        after = self.size()
        if after > before:
            self.spans.append((before, after))
        values = [int(v) for v in re.findall(r"^\$\d+ = (\d+)", out, re.M)]
        if len(values) != len(COUNTERS):
            return {"error": "gdb: " + out[-300:]}
        res = dict(zip(("allocated", "heap", "free", "unmapped"), values), gdb_s=took,
                   stop_s=round(marks[-1] - marks[0], 2) if len(marks) == 2 else None)
        with open(self.log, errors="replace") as f:
            f.seek(before)
            text = f.read(after - before)
        for pattern, names in ((DEPOT, ("depot_ids", "depot_mib")),
                               (PRIMARY, ("primary_mapped_mib", "primary_rss_mib")), (QUARANTINE, ("quarantine",))):
            found = pattern.findall(text)
            if found:
                last = found[-1] if isinstance(found[-1], tuple) else (found[-1],)
                res.update(zip(names, map(int, last)))
        return res


def report_text(path, spans):
    """What the sanitizer log at `path` holds besides the stats our reads
    wrote there (the byte spans they added, if every line in them is a stats
    line): a report, or ""."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    rest, pos = [], 0
    for start, end in sorted(spans):
        chunk = data[start:end].decode(errors="replace")
        if all(STATS_LINE.match(line) for line in chunk.split("\n")):
            rest.append(data[pos:start])
            pos = end
    rest.append(data[pos:])
    return b"".join(rest).decode(errors="replace").strip()


if __name__ == "__main__":
    r = Reader(int(sys.argv[1]), sys.argv[2])
    print(json.dumps(r.read()))
