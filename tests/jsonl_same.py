#!/usr/bin/env python3
"""jsonl_same.py A B - exit 0 if two JSON Lines files hold the same objects in
the same order. Numbers are compared by their text (parse_int/parse_float keep
it), so 1.50 and 1.5 differ; key order inside objects does not matter."""
import json
import sys


def load(path):
    with open(path, "rb") as f:
        data = f.read().decode("utf-8")  # strict: invalid UTF-8 raises
    out = []
    dec = json.JSONDecoder(parse_int=str, parse_float=str,
                           parse_constant=lambda c: "const:" + c)
    for n, line in enumerate(data.split("\n"), 1):
        if line.strip():
            out.append((n, dec.decode(line)))
    return out


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    if len(a) != len(b):
        print(f"jsonl_same: {sys.argv[1]} has {len(a)} objects, {sys.argv[2]} has {len(b)}")
        return 1
    for (la, x), (lb, y) in zip(a, b):
        if x != y:
            keys = sorted(set(x) | set(y)) if isinstance(x, dict) and isinstance(y, dict) else []
            diff = [k for k in keys if x.get(k) != y.get(k)]
            print(f"jsonl_same: line {la} of {sys.argv[1]} differs from line {lb} of "
                  f"{sys.argv[2]} (keys: {diff[:5]})")
            return 1
    print(f"jsonl_same: {len(a)} objects identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
