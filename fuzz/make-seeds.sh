#!/bin/sh
# make-seeds.sh - rebuilds the seed corpora fuzz/corpus/json/ and
# fuzz/corpus/record/ from the project's own fixtures only
# (tests/data/seed.jsonl, tests/data/golden/*.jsonl), plus a few hand-made
# edge cases. Never from ../shared (copyrighted data, not to be committed).
#
#   fuzz/make-seeds.sh            (needs build/artpack: run `make` first;
#                                  ARTPACK=path overrides; needs python3)
#
# json/:   one file per article (one JSON line each), duplicates dropped.
# record/: `artpack encode` of the same files, cut into raw records: the
#          5-byte stream header "APKR\x01" and each varint length prefix
#          stripped, one record per file.
# Existing seed files (seed-*, edge-*, hand-*) are replaced; other files
# (added by `make fuzz-merge`) are kept.
set -eu
cd "$(dirname "$0")/.."
ARTPACK=${ARTPACK:-build/artpack}
[ -x "$ARTPACK" ] || { echo "make-seeds.sh: $ARTPACK not found; run make first" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p fuzz/corpus/json fuzz/corpus/record
rm -f fuzz/corpus/json/seed-* fuzz/corpus/json/hand-* \
      fuzz/corpus/record/seed-* fuzz/corpus/record/hand-*

fixtures="tests/data/seed.jsonl $(ls tests/data/golden/*.jsonl)"
for f in $fixtures; do
    name=$(basename "$f" .jsonl | tr . _)
    "$ARTPACK" encode -q -f -o "$tmp/$name.apr" "$f"
done

python3 - "$tmp" $fixtures <<'EOF'
import hashlib, os, sys

tmp, fixtures = sys.argv[1], sys.argv[2:]
seen = set()

def put(folder, name, data):
    h = hashlib.sha1(data).hexdigest()
    if (folder, h) in seen:
        return
    seen.add((folder, h))
    with open(os.path.join("fuzz/corpus", folder, name), "wb") as f:
        f.write(data)

def varint(data, pos):
    v = shift = 0
    while True:
        b = data[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, pos

for path in fixtures:
    base = os.path.basename(path)[:-len(".jsonl")].replace(".", "_")
    # json/: one article per file
    with open(path, "rb") as f:
        lines = [l for l in f.read().split(b"\n") if l.strip()]
    for i, line in enumerate(lines, 1):
        put("json", "seed-%s-%02d" % (base, i), line + b"\n")
    # record/: the stream cut into raw records
    with open(os.path.join(tmp, base + ".apr"), "rb") as f:
        s = f.read()
    assert s[:5] == b"APKR\x01", path
    pos, i = 5, 0
    while pos < len(s):
        n, pos = varint(s, pos)
        i += 1
        put("record", "seed-%s-%02d" % (base, i), s[pos:pos + n])
        pos += n
    assert pos == len(s), path
    assert i == len(lines), (path, i, len(lines))

def zz(n):
    return (n << 1) ^ (n >> 63) if n >= 0 else ((-n) << 1) - 1

def vb(n):
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7

def blk(key, payload):
    return bytes([key]) + vb(len(payload)) + payload

def lst(*elems):
    return b"".join(vb(len(e)) + e for e in elems)

ts_max = vb(9 | 2 << 4) + vb(zz(253402300799)) + vb(999999999) + vb(1439)
ts_min = vb(3 << 4) + vb(zz(-62167219200)) + vb(0)
hand_records = {
    # valid
    "empty": b"\x00",
    "empty-id": b"\x05\x00\x00",
    "format-example": bytes.fromhex("0502613110ae9d022e040348692e7e04016e013700"),
    "date-min": b"\x10" + vb(zz(-719528)) + b"\x00",
    "date-max": b"\x10" + vb(zz(2932896)) + b"\x00",
    "date-text": blk(0x11, b"2020-1-1") + b"\x00",
    "ts-max": blk(0x17, ts_max) + b"\x00",
    "ts-min-minus0": blk(0x17, ts_min) + b"\x00",
    "ts-text": blk(0x15, b"2006-10-20 18:15:00") + b"\x00",
    "empty-lists": b"\x22\x00\x2e\x00\x36\x00\x7e\x00\x00",
    "unknown-tags": b"\x05\x00" + blk(0x3a, b"") + b"\x78\x05" +
                    blk(0x7e, lst(b"n", b"7")) + b"\x81\x01\x01A" + b"\x00",
    "extra-list-key": blk(0x7e, lst(b"", b"1", b"body", b'"x"', b"z", b"[1,{}]")) + b"\x00",
    "all-strings": b"".join(blk(k, b"s") for k in (0x05, 0x09, 0x0d, 0x19, 0x1d)) +
                   blk(0x22, lst(b"a", b"")) + blk(0x25, b"") + blk(0x29, b"d") +
                   blk(0x2e, lst(b"p1", b"p2")) + blk(0x31, b"en") +
                   blk(0x36, lst(b"t")) + b"\x00",
    # invalid: one per error
    "bad-truncated": b"\x05",
    "bad-varint": b"\x05\x80\x00\x00",
    "bad-after-end": b"\x00\x00",
    "bad-order": b"\x09\x00\x05\x00\x00",
    "bad-tag0": b"\x02\x00\x00",
    "bad-date": b"\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00",
    "bad-noncanonical-date": blk(0x11, b"2020-01-02") + b"\x00",
    "bad-timestamp": blk(0x17, b"\x40\x00") + b"\x00",
    "bad-list-length": blk(0x2e, b"\x05ab") + b"\x00",
    "bad-extra-odd": blk(0x7e, lst(b"k")) + b"\x00",
    "bad-duplicate-key": b"\x05\x00" + blk(0x7e, lst(b"id", b"1")) + b"\x00",
    "bad-wire-type": b"\x06\x00\x00",
}
for name, data in hand_records.items():
    put("record", "hand-" + name, data)

hand_json = {
    "multiline": b'{\n  "id": "m1",\n  "body": ["a",\n "b"],\n  "n": [1.0, -2e-3]\n}\n',
    "stream-bad-line": b'{"id":1}\n{"id":\n{"title":"x","tags":["a"]}\n[1]\n',
}
for name, data in hand_json.items():
    put("json", "hand-" + name, data)
EOF

for d in json record; do
    echo "fuzz/corpus/$d: $(ls fuzz/corpus/$d | wc -l) files, $(cat fuzz/corpus/$d/* | wc -c) bytes"
done
