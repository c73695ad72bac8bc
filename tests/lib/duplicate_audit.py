"""Where each duplicate of a kill test came from.

The kill tests (tests/e2e/serve_test.py, bench/kill-loop.sh) note when each
`reportd serve` was started and SIGKILLed (wall clock) and, right after the
kill, the delivery ledger's state of every Message-ID (what recovery will
see). The sink (smtp_sink.py) notes when it stored each copy, just before
its 250. For every extra copy this module takes the instance that sent the
copy before it and says where that instance's kill fell:

- "dot-250": before the sink stored the copy: the final dot was out, the
  relay still reading or answering (RFC 1047's window, before the 250);
- "250-commit": after the sink's 250, the ledger still `sending` (the part
  of the window the daemon owns: reading the 250, committing `sent`);
- "after-commit": the ledger already had `sent`, and it went again (a bug);
- "no-kill": one instance sent it twice, or no kill ended its sender (a
  bug, or an unknown outcome after the final dot).
"""
import bisect
import os


def sink_times(times_tsv):
    """{Message-ID: [wall-clock time of each stored copy, ascending]}."""
    out = {}
    with open(times_tsv) as f:
        for line in f:
            at, mid, _ = line.rstrip("\n").split("\t")
            out.setdefault(mid, []).append(float(at))
    for v in out.values():
        v.sort()
    return out


def audit(instances, times_tsv):
    """instances: [(spawned at, killed at or None, {Message-ID: ledger state
    right after the kill})], one per `reportd serve` started, in order (wall
    clock). Returns one dict per extra copy: message_id, copy (2 for the
    first duplicate), where (see above), kill (the instance's index) and
    kill_minus_stored_ms (negative: the kill came before the sink stored
    the copy)."""
    spawns = [s for s, _, _ in instances]
    # The sender of a copy: the last instance started before the sink stored
    # it (a copy in flight when its sender died is stored before the next
    # instance, which fetches and renders first, can send anything).
    sender = lambda at: bisect.bisect_right(spawns, at) - 1  # noqa: E731
    found = []
    for mid, stored in sink_times(times_tsv).items():
        for n in range(1, len(stored)):
            before, again = stored[n - 1], stored[n]
            a, b = sender(before), sender(again)
            row = {"message_id": mid, "copy": n + 1, "kill": None, "where": "no-kill",
                   "kill_minus_stored_ms": None}
            if a != b and a >= 0 and instances[a][1] is not None:
                _, killed, states = instances[a]
                state = states.get(mid, "?")
                row.update(kill=a, ledger_after_kill=state, kill_minus_stored_ms=round((killed - before) * 1000, 1),
                           where=("after-commit" if state == "sent" else
                                  "dot-250" if killed < before else "250-commit"))
            found.append(row)
    return found


def _pct(values, q):
    return values[min(len(values) - 1, int(q * len(values)))] if values else -1


def _sent_lines(log_bytes):
    """Each timed mail.sent line as {field: value} (bytes)."""
    for line in log_bytes.splitlines():
        if b"event=mail.sent " not in line:
            continue
        f = dict(kv.split(b"=", 1) for kv in line.split() if b"=" in kv)
        if f.get(b"dot_at_us", b"").replace(b",", b"").isdigit():
            yield f  # else an older daemon, or the fields redacted


def _union(spans):
    """Seconds covered by the union of (start, end) spans."""
    covered, end = 0.0, None
    for a, b in sorted(spans):
        if end is None or a > end:
            covered += b - a
            end = b
        elif b > end:
            covered += b - end
            end = b
    return covered


def _figures(out, named):
    for name, v in named:
        v.sort()
        out[name] = {"p50": _pct(v, 0.5), "p99": _pct(v, 0.99), "max": v[-1] if v else -1}


def windows(log_bytes, times_tsv, instances):
    """The duplicate window of every delivery logged `sent` (the daemon's
    mail.sent lines: Message-ID, wall-clock dot and 250-read times, 250 read
    -> `sent` committed), lined up with the sink's times. Figures, in
    microseconds, p50/p99/max: relay_us (dot -> the sink stored the copy and
    answers 250), read_wait_us (the sink's 250 -> the daemon read it),
    commit_us (read -> `sent` durable), window_us (dot -> durable), and
    commit_us's parts: queue_us (the store work ahead of the write),
    write_us (the write and its commit), then resume_us (the commit -> the
    event loop ran the delivery on; with group commit it holds the WAL's
    sync, so commit_resume_us, their sum, bounds the 250 -> synced from
    above). Also the share of the daemons'
    lifetimes inside some window (the union of them) and the duplicates a
    kill uniform in time would make (kills x share); then the same for each
    part: `dot-250` (dot -> stored) and `250-commit` (stored -> durable), to
    set beside the duplicates audit() puts there."""
    stored = sink_times(times_tsv)
    relay, wait, commit, whole, spans = [], [], [], [], []
    parts = {b"queue_us": [], b"write_us": [], b"resume_us": []}  # commit_us split (newer daemons)
    place_spans = {"dot-250": [], "250-commit": []}
    durable = []  # commit_us + resume_us: with group commit, the sync is in resume_us
    for f in _sent_lines(log_bytes):
        for k, v in parts.items():
            v.extend(int(x) for x in f.get(k, b"").split(b",") if x.isdigit())
        durable.extend(int(c) + int(r) for c, r in zip(f[b"commit_us"].split(b","), f.get(b"resume_us", b"").split(b","))
                       if c.isdigit() and r.isdigit())
        for mid, dot, read, us in zip(*(f[k].split(b",") for k in (b"message_ids", b"dot_at_us",
                                                                     b"read_at_us", b"commit_us"))):
            dot, read, us = int(dot), int(read), int(us)
            commit.append(us)
            whole.append(read + us - dot)
            spans.append((dot / 1e6, (read + us) / 1e6))
            copies = stored.get(mid.decode(), [])
            n = bisect.bisect_right(copies, read / 1e6) - 1
            if n >= 0 and copies[n] * 1e6 >= dot - 1000:
                relay.append(int(copies[n] * 1e6) - dot)
                wait.append(read - int(copies[n] * 1e6))
                place_spans["dot-250"].append((dot / 1e6, copies[n]))
                place_spans["250-commit"].append((copies[n], (read + us) / 1e6))
    lived = sum(k - s for s, k, _ in instances if k is not None)
    kills = sum(1 for i in instances if i[1] is not None)
    share = _union(spans) / lived if lived > 0 else 0.0
    out = {"deliveries_timed": len(commit), "window_share": round(share, 5),
           "duplicates_if_uniform": round(share * kills, 2)}
    out["places"] = {}
    for place, s in place_spans.items():
        part = _union(s) / lived if lived > 0 else 0.0
        out["places"][place] = {"share": round(part, 5), "duplicates_if_uniform": round(part * kills, 2)}
    named = [("relay_us", relay), ("read_wait_us", wait), ("commit_us", commit), ("window_us", whole),
             ("commit_resume_us", durable)]
    _figures(out, named + [(k.decode(), v) for k, v in parts.items() if v])
    return out


def phases(log_bytes, phases_tsv):
    """The relay's part of each window (dot -> stored) split by the sink's
    phases.tsv: to_relay_us (reportd wrote the dot -> the relay read the
    bytes holding it), parse_us (-> aiosmtpd's handler began: the body split
    into lines and joined), store_us (-> stored), p50/p99/max, and the
    message size in bytes."""
    rows = {}
    if not os.path.exists(phases_tsv):
        return {}
    with open(phases_tsv) as f:
        for line in f:
            mid, got, began, kept, size = line.rstrip("\n").split("\t")
            rows.setdefault(mid, []).append((float(kept), float(got), float(began), int(size)))
    to_relay, parse, store, sizes = [], [], [], []
    for f in _sent_lines(log_bytes):
        for mid, dot in zip(f[b"message_ids"].split(b","), f[b"dot_at_us"].split(b",")):
            dot = int(dot) / 1e6
            after = [r for r in rows.get(mid.decode(), []) if r[0] >= dot - 0.001]
            if not after:
                continue
            kept, got, began, size = min(after)
            to_relay.append(int((got - dot) * 1e6))
            parse.append(int((began - got) * 1e6))
            store.append(int((kept - began) * 1e6))
            sizes.append(size)
    out = {"timed": len(to_relay)}
    _figures(out, [("to_relay_us", to_relay), ("parse_us", parse), ("store_us", store), ("message_bytes", sizes)])
    return out
