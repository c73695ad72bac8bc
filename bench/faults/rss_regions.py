"""Resident memory of a running `reportd serve` by address region, once a
minute, as JSON lines: under TSan this separates the program's heap
(0x7b0000000000) from TSan's shadow (below 0x100000000000), meta shadow
(0x300000000000) and traces (0x600000000000). Regions are named by the
mapping's address >> 40 ("anon@0x7bT"), "file" for mapped files. Ends when
the process does.

    /usr/bin/python3 bench/faults/rss_regions.py PID OUT.jsonl
    (beside bench/faults/soak.py --build build/tsan; the daemon's PID from ps)

soak.py --regions-out writes the same lines from its own samples and judges
a TSan daemon on tsan_split()'s "program" part.
"""
import collections
import json
import sys
import time


def regions(pid):
    g = collections.Counter()
    cur = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and len(parts) >= 5 and ":" in parts[3]:
                name = parts[5] if len(parts) > 5 else ""
                hi = int(parts[0].split("-")[0], 16) >> 40
                cur = "file" if name.startswith("/") else name if name.startswith("[") else f"anon@{hi:#x}T"
            elif parts[0] == "Rss:":
                g[cur] += int(parts[1])
    return g


# GCC 12's TSan runtime (x86_64, tsan_platform.h): its shadow from
# 0x010000000000 to 0x200000000000, meta shadow at 0x300000000000, traces at
# 0x600000000000 (by address >> 40).
TSAN_OWN = (("tsan_shadow", 0x01, 0x20), ("tsan_meta", 0x30, 0x40), ("tsan_traces", 0x60, 0x70))


def tsan_split(g):
    """{"gross", "tsan_shadow", "tsan_meta", "tsan_traces", "program"} in KiB
    from regions(): "program" is the gross minus TSan's three regions, the
    memory that is the daemon's (its heap, stacks, libraries, TSan's small
    internal allocator)."""
    out = {"gross": sum(g.values())}
    for name, lo, hi in TSAN_OWN:
        out[name] = sum(v for k, v in g.items()
                        if k and k.startswith("anon@") and lo <= int(k[5:-1], 16) < hi)
    out["program"] = out["gross"] - sum(out[name] for name, _, _ in TSAN_OWN)
    return out


def main():
    pid, out = int(sys.argv[1]), sys.argv[2]
    began = time.time()
    with open(out, "a") as f:
        while True:
            try:
                g = regions(pid)
            except OSError:
                return 0
            f.write(json.dumps({"t": round(time.time() - began), "rss_kib": sum(g.values()),
                                "regions": dict(g.most_common(12))}) + "\n")
            f.flush()
            time.sleep(60)


if __name__ == "__main__":
    sys.exit(main())
