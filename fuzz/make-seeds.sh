#!/bin/sh
# make-seeds.sh - rebuilds the seed corpora fuzz/corpus/{json,record,dict,
# frame,bundle}/ from the project's own fixtures only
# (tests/data/seed.jsonl, tests/data/golden/*.jsonl), plus a few hand-made
# edge cases. Never from ../shared (copyrighted data, not to be committed).
#
#   fuzz/make-seeds.sh            (needs build/artpack and build/fuzz-seedgen:
#                                  `make fuzz-seeds` builds both and runs it;
#                                  ARTPACK=, SEEDGEN=path override; needs python3)
#
# json/:   one file per article (one JSON line each), duplicates dropped.
# record/: `artpack encode` of the same files, cut into raw records: the
#          5-byte stream header "APKR\x01" and each varint length prefix
#          stripped, one record per file.
# frame/, bundle/, cm/: fuzz/seedgen.c (see below); dict/: trained dictionaries.
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

# Wire format as in codec/internal.h: key = tag << 3 | wire type.
VARINT, BYTES, LIST, PACKED, TEXT, TEXTLIST = range(6)
END, SEP = b"\xfe", b"\xff"   # TEXT / TEXTLIST terminator, TEXTLIST separator
T_ID, T_URL, T_SOURCE, T_DATE, T_PUB, T_TITLE, T_AUTHOR, T_AUTHORS = range(1, 9)
T_SUMMARY, T_DATELINE, T_BODY, T_LANG, T_TAGS, T_EXTRA = 9, 10, 11, 12, 13, 15

def zz(n):
    return (n << 1) if n >= 0 else ((-n) << 1) - 1

def vb(n):
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7

def key(tag, wt):
    return vb(tag << 3 | wt)

def blk(tag, wt, payload):          # BYTES, LIST, PACKED
    return key(tag, wt) + vb(len(payload)) + payload

def text(tag, s):                    # TEXT
    return key(tag, TEXT) + s + END

def textlist(tag, *elems):           # TEXTLIST
    return key(tag, TEXTLIST) + SEP.join(elems) + END

def lst(*elems):                     # LIST payload
    return b"".join(vb(len(e)) + e for e in elems)

ts_max = vb(9 | 2 << 4) + vb(zz(253402300799)) + vb(999999999) + vb(1439)
ts_min = vb(3 << 4) + vb(zz(-62167219200)) + vb(0)
hand_records = {
    # valid
    "empty": b"\x00",
    "empty-id": text(T_ID, b"") + b"\x00",
    "bytes-id": blk(T_ID, BYTES, b"a\xfeb") + b"\x00",
    "date-min": key(T_DATE, VARINT) + vb(zz(-719528)) + b"\x00",
    "date-max": key(T_DATE, VARINT) + vb(zz(2932896)) + b"\x00",
    "date-text": text(T_DATE, b"2020-1-1") + b"\x00",
    "ts-max": blk(T_PUB, PACKED, ts_max) + b"\x00",
    "ts-min-minus0": blk(T_PUB, PACKED, ts_min) + b"\x00",
    "ts-text": text(T_PUB, b"2006-10-20 18:15:00") + b"\x00",
    "empty-lists": blk(T_AUTHORS, LIST, b"") + blk(T_BODY, LIST, b"") +
                   blk(T_TAGS, LIST, b"") + blk(T_EXTRA, LIST, b"") + b"\x00",
    "one-empty-element": textlist(T_BODY, b"") + b"\x00",
    "list-with-ff": blk(T_BODY, LIST, lst(b"a", b"\xff")) + b"\x00",
    "unknown-tags": text(T_ID, b"") + blk(14, LIST, b"") +
                    textlist(T_EXTRA, b"n", b"7") + key(16, VARINT) + b"\x05" +
                    text(31, b"x") + b"\x00",
    "extra-list-key": textlist(T_EXTRA, b"", b"1", b"body", b'"x"', b"z", b"[1,{}]") + b"\x00",
    "all-strings": b"".join(text(t, b"s") for t in (T_ID, T_URL, T_SOURCE, T_TITLE, T_AUTHOR)) +
                   textlist(T_AUTHORS, b"a", b"") + text(T_SUMMARY, b"") +
                   text(T_DATELINE, b"d") + textlist(T_BODY, b"p1", b"p2") +
                   text(T_LANG, b"en") + textlist(T_TAGS, b"t") + b"\x00",
    # invalid: one per error
    "bad-truncated": key(T_ID, BYTES),
    "bad-text-unterminated": key(T_ID, TEXT) + b"abc",
    "bad-varint": key(T_ID, BYTES) + b"\x80\x00\x00",
    "bad-after-end": b"\x00\x00",
    "bad-order": text(T_URL, b"") + text(T_ID, b"") + b"\x00",
    "bad-tag0": b"\x02\x00\x00",
    "bad-wire-type-reserved": key(T_ID, 6) + b"\x00",
    "bad-wire-type": key(T_ID, LIST) + b"\x00\x00",
    "bad-date": key(T_DATE, VARINT) + b"\xff" * 9 + b"\x01\x00",
    "bad-noncanonical-date": text(T_DATE, b"2020-01-02") + b"\x00",
    "bad-noncanonical-bytes": blk(T_ID, BYTES, b"abc") + b"\x00",
    "bad-noncanonical-list": blk(T_BODY, LIST, lst(b"a")) + b"\x00",
    "bad-timestamp": blk(T_PUB, PACKED, b"\x40\x00") + b"\x00",
    "bad-list-length": blk(T_BODY, LIST, b"\x05ab") + b"\x00",
    "bad-extra-odd": textlist(T_EXTRA, b"k") + b"\x00",
    "bad-duplicate-key": text(T_ID, b"") + textlist(T_EXTRA, b"id", b"1") + b"\x00",
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

# dict/: 4 KB and 8 KB dictionaries trained on synthetic articles (tests/make-articles.py).
python3 tests/make-articles.py 300 7 >"$tmp/synthetic.jsonl"
"$ARTPACK" train -q -f --size 4K -o fuzz/corpus/dict/seed-synthetic-4k.dict "$tmp/synthetic.jsonl"
# 8 KB: with a word list (version 2: tokens with a leading space among them)
"$ARTPACK" train -q -f --size 8K -o fuzz/corpus/dict/seed-synthetic-8k-words.dict "$tmp/synthetic.jsonl"

# frame/, bundle/ and cm/: made by fuzz/seedgen.c (build/fuzz-seedgen; SEEDGEN=path
# overrides) with the library and the fuzz targets' dictionary (fz_dict()),
# so their checksums are the current ones. frame/: byte 0 = the mode of
# fuzz/fuzz_frame.c, then a zstd, LZ4 or stored frame (with and without the
# dictionary) of each fixture article; a few mode 64 (content round trips).
# bundle/: byte 0 = 0 or 1 (the reader gets the dictionary) + a bundle of the
# fixture articles (zstd, LZ4, stored; 1-4 KB blocks; dictionary, embedded
# dictionary, two commits; CM with the targets' model); byte 0 = 2 or 6 + a
# block-size byte + JSON Lines. cm/: fuzz/fuzz_cm.c's modes (the model, CM
# frames and payloads of fixture articles, content).
SEEDGEN=${SEEDGEN:-build/fuzz-seedgen}
[ -x "$SEEDGEN" ] || { echo "make-seeds.sh: $SEEDGEN not found; run make build/fuzz-seedgen" >&2; exit 1; }
mkdir -p fuzz/corpus/frame fuzz/corpus/bundle fuzz/corpus/cm
rm -f fuzz/corpus/frame/seed-* fuzz/corpus/bundle/seed-* fuzz/corpus/cm/seed-* fuzz/corpus/cm/hand-*
"$SEEDGEN" fuzz/corpus $fixtures
echo "make-seeds.sh: frame/ $(ls fuzz/corpus/frame | wc -l) files, bundle/ $(ls fuzz/corpus/bundle | wc -l) files, cm/ $(ls fuzz/corpus/cm | wc -l) files, dict/ $(ls fuzz/corpus/dict | wc -l) files"
