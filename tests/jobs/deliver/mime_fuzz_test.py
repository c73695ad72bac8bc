"""Header-injection fuzz: 3,000 messages (FUZZ_N; 10,000 or more for a long
run) with hostile subjects, display names, file names and bodies. Python's email parser (an independent reader) must see
exactly the intended headers, the exact values, and byte-identical attachments."""
import email
import email.policy
import os
import re
import subprocess
import unittest

DRIVER = os.path.join(os.environ.get("REPORTD_BUILD_DIR", "build"), "tests", "mime_fuzz")
HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "MIME-Version",
           "Content-Type"]


def cases(data):
    pos = 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        head = data[pos:nl].split()
        assert head[0] == b"CASE"
        sizes = [int(x) for x in head[1:]]
        pos = nl + 1
        parts = []
        for s in sizes:
            parts.append(data[pos:pos + s])
            pos += s
        yield parts


def expected_text(b):
    # Renderer contract: valid UTF-8 (invalid never generated here); any line end is CRLF on the wire.
    return b.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def clean_name(b):
    """Mirrors clean_display_name(): controls to spaces, runs collapsed, one encoded-word."""
    s = "".join(" " if ord(c) < 0x20 or ord(c) == 0x7F else c for c in b.decode("utf-8"))
    s = " ".join(s.split(" "))
    s = " ".join(w for w in s.split(" ") if w) if s.strip(" ") else ""
    plain = re.fullmatch(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*", s)
    limit = 60 if plain and len(s) <= 60 and "=?" not in s else 45
    raw = s.encode("utf-8")
    if len(raw) > limit:
        cut = limit
        while cut > 0 and (raw[cut] & 0xC0) == 0x80:
            cut -= 1
        s = raw[:cut].decode("utf-8").rstrip(" ")
    return s


def clean_filename(b):
    s = "".join("_" if ord(c) < 0x20 or ord(c) == 0x7F or c in "<>:\"/\\|?*" else c
                for c in b.decode("utf-8"))
    return s.strip(" ") or "attachment.bin"


class MimeFuzz(unittest.TestCase):
    def test_hostile_messages_parse_to_exactly_the_intended_headers(self):
        out = subprocess.run([DRIVER, os.environ.get("FUZZ_N", "3000"), "7"], check=True, capture_output=True).stdout
        count = 0
        for subject, name, filename, text, att, raw in cases(out):
            count += 1
            with self.subTest(case=count):
                # Wire rules: CRLF only, no NUL, no line over 998 octets.
                self.assertNotIn(b"\0", raw)
                self.assertNotIn(b"\r\n", raw.replace(b"\r\n", b""))
                self.assertNotIn(b"\r", raw.replace(b"\r\n", b""))
                self.assertNotIn(b"\n", raw.replace(b"\r\n", b""))
                self.assertLessEqual(max(len(line) for line in raw.split(b"\r\n")), 998)
                self.assertTrue(all(b < 0x80 for b in raw), "message must be 7-bit")
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                self.assertEqual(list(msg.keys()), HEADERS)
                self.assertEqual(msg.defects, [])
                self.assertEqual(str(msg["Subject"]), subject.decode("utf-8"))
                to = msg["To"].addresses
                self.assertEqual(len(to), 1)
                self.assertEqual(to[0].addr_spec, "someone@example.org")
                self.assertEqual(to[0].display_name, clean_name(name))
                self.assertEqual(msg["From"].addresses[0].addr_spec, "reports@example.com")
                parts = list(msg.iter_attachments())
                self.assertEqual(len(parts), 1)
                self.assertEqual(parts[0].get_filename(), clean_filename(filename))
                self.assertEqual(parts[0].get_payload(decode=True), att)
                body = msg.get_body(preferencelist=("plain",))
                got = body.get_content().replace("\r\n", "\n")
                self.assertEqual(got, expected_text(text))
        self.assertEqual(count, int(os.environ.get("FUZZ_N", "3000")))


if __name__ == "__main__":
    unittest.main()
