#!/usr/bin/python3
"""STYLE.md's size limits: no source file over 450 lines, no function over 80.

Usage: scripts/check-sizes.py [--files N] [--functions N] [PATH...]
PATHs default to the project's own C++ sources (third_party/ and build/ left
out). Prints each file or function over its limit and exits 1 if any is.

A function is a brace block whose opening line reads like a definition (it
has a parameter list and is not a class, namespace, enum or initializer);
lambdas and nested blocks count toward the function they are in. Data tables
(initializers such as `constexpr std::array<...> kNames{{ ... }};`) are not
functions and are not counted.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXCLUDE = ("third_party/", "build/")
NOT_A_FUNCTION = re.compile(r"^\s*(template\s*<.*>\s*)?(class|struct|union|namespace|enum|extern)\b")
CONTROL = re.compile(r"^\s*(if|for|while|switch|catch|else|do|try)\b")


def strip(text):
    """The text with comments, string and char literals blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = ")" + m.group(1) + '"'
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def blank_preprocessor(code):
    """Directives (with their continuation lines) blanked, newlines kept."""
    out, cont = [], False
    for ln in code.split("\n"):
        if cont or ln.lstrip().startswith("#"):
            cont = ln.rstrip().endswith("\\")
            out.append("")
        else:
            out.append(ln)
    return "\n".join(out)


def functions(text):
    """(name, first line, line count) of each top-level function body that
    is not mostly a data table."""
    code = blank_preprocessor(strip(text))
    found, depth, head_start, stack = [], 0, 0, []
    line = 1
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        elif c == "{":
            head = code[head_start:i]
            in_fn = any(s[0] == "fn" for s in stack)
            if in_fn and (re.search(r"(=|,|\(|\{|return)\s*$", head) or not head.strip()):
                stack.append(("init", "", line))
                depth += 1
                head_start = i + 1
                continue
            is_fn = (not in_fn and ")" in head
                     and not NOT_A_FUNCTION.search(head.strip().split("\n")[-1] if head.strip() else "")
                     and not CONTROL.match(head.strip().split("\n")[-1] if head.strip() else "")
                     and not re.search(r"=\s*$", head) and not head.rstrip().endswith(","))
            if is_fn:
                sig = " ".join(head.split())
                name = re.findall(r"([\w:~<>]+)\s*\(", sig)
                first = line - head.rstrip().count("\n") + head[: len(head) - len(head.lstrip())].count("\n")
                stack.append(("fn", name[0] if name else "?", first, [0]))
            else:
                stack.append(("block", "", line))
            depth += 1
            head_start = i + 1
        elif c == "}":
            if stack:
                top = stack.pop()
                kind, name, first = top[0], top[1], top[2]
                if kind == "fn":
                    count = line - first + 1
                    if top[3][0] * 10 < count * 7:  # not mostly a data table
                        found.append((name, first, count))
                elif kind == "init" and stack and stack[-1][0] == "fn":
                    stack[-1][3][0] += line - first + 1
            depth -= 1
            head_start = i + 1
        elif c == ";":
            head_start = i + 1
    return found


def sources(paths):
    if paths:
        for p in paths:
            if os.path.isdir(p):
                for d, _, files in os.walk(p):
                    for f in files:
                        if f.endswith((".cpp", ".hpp", ".h", ".cc")):
                            yield os.path.join(d, f)
            else:
                yield p
        return
    listed = subprocess.run(["git", "-C", ROOT, "ls-files", "*.cpp", "*.hpp", "*.h", "*.cc"],
                            capture_output=True, text=True, check=True).stdout.split()
    for rel in listed:
        if not rel.startswith(EXCLUDE):
            yield os.path.join(ROOT, rel)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=450)
    ap.add_argument("--functions", type=int, default=80)
    ap.add_argument("paths", nargs="*")
    args = ap.parse_args()
    bad = 0
    for path in sources(args.paths):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        rel = os.path.relpath(path, ROOT)
        lines = text.count("\n")
        if lines > args.files:
            print(f"{rel}: {lines} lines (limit {args.files})")
            bad += 1
        for name, first, count in functions(text):
            if count > args.functions:
                print(f"{rel}:{first}: {name}: {count} lines (limit {args.functions})")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
