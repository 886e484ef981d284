#!/usr/bin/env python3
"""Write N news articles as JSON Lines for the scale benchmark (scripts/bench-scale).

    make-scale-articles.py N [-o OUT] [--corpus DIR] [--seed S] [--tag r]
    make-scale-articles.py N --tiny [-o OUT] [--tag t]

Normal mode: the articles of reuters_financial.jsonl, reuters21578.jsonl and
bbc.jsonl (read from --corpus, default $CORPUS or ../shared/corpus; never copied
anywhere else), repeated round after round until N are written.  In round k every
article gets the id "<original id>-<tag><k>" (unique: the corpus ids are unique)
and, from round 1 on, a slightly varied title (a deterministic choice, from --seed,
among a few small edits), so that no two articles are byte-identical.
Tiny mode: N articles {"id": "<tag><i>", "title": "x"}.

Streaming: one line in memory at a time, whatever N.  Same arguments, same bytes.
Python 3 standard library only.
"""
import argparse
import json
import os
import random
import sys

FILES = ("reuters_financial.jsonl", "reuters21578.jsonl", "bbc.jsonl")
PREFIXES = ("UPDATE {k}-", "REFILE-", "CORRECTED-", "WRAPUP {k}-", "Analysis: ")
SUFFIXES = (" ({k})", " - sources", " (Update {k})", ", report says", " - update")


def vary_title(title, k, rng):
    """A small, deterministic edit of a title for round k >= 1."""
    if k == 0 or not isinstance(title, str):
        return title
    choice = rng.randrange(4)
    if choice == 0:
        return rng.choice(PREFIXES).format(k=k) + title
    if choice == 1:
        return title + rng.choice(SUFFIXES).format(k=k)
    words = title.split(" ")
    if choice == 2 and len(words) > 2:
        i = rng.randrange(len(words) - 1)          # swap two neighbouring words
        words[i], words[i + 1] = words[i + 1], words[i]
        return " ".join(words)
    if len(words) > 1:                             # change the case of one word
        i = rng.randrange(len(words))
        w = words[i]
        words[i] = w.lower() if w.isupper() else w.upper()
        return " ".join(words)
    return title + " ({k})".format(k=k)


def write_corpus(out, n, corpus, seed, tag):
    paths = [os.path.join(corpus, f) for f in FILES]
    for p in paths:
        if not os.path.isfile(p):
            sys.exit("make-scale-articles: no corpus file %s (set CORPUS or --corpus)" % p)
    rng = random.Random(seed)
    written = 0
    k = 0
    while written < n:
        for p in paths:
            with open(p, encoding="utf-8") as f:
                for line_no, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    a = json.loads(line)
                    orig = a.get("id", "%s:%d" % (os.path.basename(p), line_no))
                    a["id"] = "%s-%s%d" % (orig, tag, k)
                    if "title" in a:
                        a["title"] = vary_title(a["title"], k, rng)
                    out.write(json.dumps(a, ensure_ascii=False))
                    out.write("\n")
                    written += 1
                    if written == n:
                        return
        k += 1


def write_tiny(out, n, tag):
    for i in range(n):
        out.write('{"id": "%s%d", "title": "x"}\n' % (tag, i))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int, help="number of articles")
    ap.add_argument("-o", "--output", default="-", help="output file ('-': standard output)")
    ap.add_argument("--corpus", default=os.environ.get("CORPUS", "../shared/corpus"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tag", default=None, help="id tag: 'r' (rounds) or 't' (tiny) by default")
    ap.add_argument("--tiny", action="store_true", help='write {"id": ..., "title": "x"} articles')
    args = ap.parse_args()
    if args.n < 0:
        ap.error("N must be >= 0")
    tag = args.tag if args.tag is not None else ("t" if args.tiny else "r")
    if args.output == "-":
        out = open(sys.stdout.fileno(), "w", encoding="utf-8", newline="\n", closefd=False,
                   buffering=1 << 20)
    else:
        out = open(args.output + ".tmp", "w", encoding="utf-8", newline="\n", buffering=1 << 20)
    try:
        if args.tiny:
            write_tiny(out, args.n, tag)
        else:
            write_corpus(out, args.n, args.corpus, args.seed, tag)
        out.close()
    except BrokenPipeError:
        sys.exit(1)
    if args.output != "-":
        os.replace(args.output + ".tmp", args.output)


if __name__ == "__main__":
    main()
