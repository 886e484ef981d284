#!/usr/bin/env python3
"""make-articles.py N SEED - N synthetic news articles as JSON Lines (for
tests that need many articles, e.g. dictionary training, without a corpus)."""
import json
import random
import sys

WORDS = ("the minister said on Tuesday that prices of oil rose percent in trading "
         "shares company government officials told reporters market bank billion "
         "dollars year growth economy analysts expected quarter profit increase week "
         "talks president election police city people new report and a to was").split()


def text(rng, n):
    out = []
    while sum(len(w) + 1 for w in out) < n:
        out.append(rng.choice(WORDS))
    s = " ".join(out)
    return s[0].upper() + s[1:] + "."


def main():
    n, seed = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    for i in range(n):
        a = {"id": f"synthetic-{seed}-{i}", "source": "Synthetic Wire",
             "date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
             "title": text(rng, 50), "body": [text(rng, rng.randint(80, 600)) for _ in range(rng.randint(1, 6))],
             "language": "en"}
        if rng.random() < 0.5:
            a["author"] = rng.choice(["A. Writer", "B. Reporter", "C. Editor"])
        print(json.dumps(a, ensure_ascii=False, separators=(",", ":")))


if __name__ == "__main__":
    main()
