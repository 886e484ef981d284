#!/bin/sh
# Every article of every corpus file: JSON -> records -> JSON gives the same
# objects (numbers compared by text), and the records re-encoded from the
# decoded JSON are byte-identical; the same round trip through every codec
# (zstd, LZ4, stored), with and without a dictionary trained on
# reuters_financial.jsonl (with it: the word transform, zstd and LZ4; and
# --no-words). Checks two size goals: records <= 96 % of the JSON on
# reuters_financial, and bbc.jsonl at -19 with the default 110 KB dictionary
# (word list included) <= 1,770,000 B (0.94 x zstd -19 with a JSON-trained
# dictionary, issue 12); bundles (zstd, embedded dictionary, and LZ4) with
# the word transform on their blocks; and bbc.jsonl through the CM codec (--cm, a model
# from reuters_financial) <= 1,509,000 B, every article identical (issue 14);
# and the first 400 articles of every corpus file (all with
# ARTPACK_CM_BUNDLE_ALL=1) as a CM bundle with that model (pack --cm, unpack).
set -eu
ARTPACK=${ARTPACK:-build/artpack}
corpus=${ARTPACK_CORPUS:-../shared/corpus}
if [ ! -d "$corpus" ] || ! ls "$corpus"/*.jsonl >/dev/null 2>&1; then
    echo "corpus-roundtrip: SKIPPED: no corpus at '$corpus' (set ARTPACK_CORPUS)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
same() { # original decoded what
    python3 tests/jsonl_same.py "$1" "$2" >"$tmp/cmp" || {
        cat "$tmp/cmp"; echo "corpus-roundtrip: FAIL: $3 does not round-trip"; exit 1; }
}
total=0
for f in "$corpus"/*.jsonl; do
    name=$(basename "$f" .jsonl)
    "$ARTPACK" encode -q -o "$tmp/$name.apr" "$f"
    "$ARTPACK" decode -q -o "$tmp/$name.out.jsonl" "$tmp/$name.apr"
    same "$f" "$tmp/$name.out.jsonl" "$name"
    "$ARTPACK" encode -q -o "$tmp/$name.2.apr" "$tmp/$name.out.jsonl"
    cmp -s "$tmp/$name.apr" "$tmp/$name.2.apr" || {
        echo "corpus-roundtrip: FAIL: $name: re-encoded records differ"; exit 1; }
    n=$(grep -c . "$f")
    total=$((total + n))
    jb=$(wc -c <"$f"); rb=$(wc -c <"$tmp/$name.apr")
    echo "corpus-roundtrip: $name: $n articles identical; records $rb B = $((rb * 1000 / jb / 10)).$((rb * 1000 / jb % 10)) % of $jb B JSON"
    if [ "$name" = reuters_financial ] && [ $((rb * 100)) -gt $((jb * 96)) ]; then
        echo "corpus-roundtrip: FAIL: reuters_financial records exceed 96 % of the JSON"; exit 1
    fi
done
echo "corpus-roundtrip: $total articles round-trip as records"

train=$corpus/reuters_financial.jsonl
[ -f "$train" ] || { echo "corpus-roundtrip: no reuters_financial.jsonl: codec round trips SKIPPED"; exit 0; }
"$ARTPACK" train -q -o "$tmp/rf.dict" "$train"
for mode in "-3 -D $tmp/rf.dict" "-3 --no-words -D $tmp/rf.dict" "-3" "--lz4 -D $tmp/rf.dict" "--lz4" "--stored"; do
    for f in "$corpus"/*.jsonl; do
        name=$(basename "$f" .jsonl)
        # shellcheck disable=SC2086
        "$ARTPACK" encode -q $mode -o "$tmp/$name.apz" "$f"
        "$ARTPACK" decode -q -D "$tmp/rf.dict" -o "$tmp/$name.z.jsonl" "$tmp/$name.apz"
        same "$f" "$tmp/$name.z.jsonl" "$name ($mode)"
        rm -f "$tmp/$name.apz" "$tmp/$name.z.jsonl"
    done
    echo "corpus-roundtrip: $total articles round-trip with encode $mode" | sed "s|$tmp/||"
done
for f in "$corpus"/*.jsonl; do
    name=$(basename "$f" .jsonl)
    # the dictionary holds a word list: the blocks are word-transformed
    "$ARTPACK" pack -q -D "$tmp/rf.dict" --embed-dict -o "$tmp/$name.apb" "$f"
    "$ARTPACK" info "$tmp/$name.apb" | grep -q '^word_transform: *yes' || {
        echo "corpus-roundtrip: FAIL: $name: the bundle has no word transform"; exit 1; }
    "$ARTPACK" verify -q "$tmp/$name.apb"
    "$ARTPACK" unpack -q -o "$tmp/$name.b.jsonl" "$tmp/$name.apb"
    same "$f" "$tmp/$name.b.jsonl" "$name (bundle)"
    "$ARTPACK" pack -q --lz4 -D "$tmp/rf.dict" -o "$tmp/$name.l.apb" "$f"
    "$ARTPACK" unpack -q -D "$tmp/rf.dict" -o "$tmp/$name.l.jsonl" "$tmp/$name.l.apb"
    same "$f" "$tmp/$name.l.jsonl" "$name (LZ4 bundle)"
    rm -f "$tmp/$name.l.apb" "$tmp/$name.l.jsonl"
    n=$(grep -c . "$f")
    for k in 0 $((n / 2)) $((n - 1)); do # get N returns the Nth article
        "$ARTPACK" get -q "$tmp/$name.apb" "$k" >"$tmp/get.jsonl"
        grep . "$f" | sed -n "$((k + 1))p" >"$tmp/want.jsonl"
        same "$tmp/want.jsonl" "$tmp/get.jsonl" "$name (get $k)"
    done
    echo "corpus-roundtrip: $name: bundle $(wc -c <"$tmp/$name.apb") B (dictionary embedded, word transform), every article back in order (and from an LZ4 bundle)"
    if [ "$name" = bbc ] && [ "$(wc -c <"$tmp/$name.apb")" -gt 1500000 ]; then
        echo "corpus-roundtrip: FAIL: the bbc bundle exceeds 1,500,000 B"; exit 1
    fi
    rm -f "$tmp/$name.apb" "$tmp/$name.b.jsonl"
done
bbc=$corpus/bbc.jsonl
if [ -f "$bbc" ]; then
    "$ARTPACK" encode -q -19 -D "$tmp/rf.dict" -o "$tmp/bbc.apz" "$bbc"
    "$ARTPACK" decode -q -D "$tmp/rf.dict" -o "$tmp/bbc.z.jsonl" "$tmp/bbc.apz"
    same "$bbc" "$tmp/bbc.z.jsonl" "bbc (-19 -D)"
    size=$(wc -c <"$tmp/bbc.apz")
    echo "corpus-roundtrip: bbc.jsonl -19 -D (110 KB dictionary on reuters_financial, word transform): $size B (goal <= 1770000)"
    [ "$size" -le 1770000 ] || { echo "corpus-roundtrip: FAIL: bbc ratio goal missed"; exit 1; }
fi
# the CM codec (issue 14): a model trained on reuters_financial (default
# size), every bbc article coded alone, decoded identical; the acceptance
# goal: <= 1,509,000 B (0.80 x zstd -19 with a 110 KB dictionary on the JSON)
if [ -f "$bbc" ]; then
    "$ARTPACK" train -q --cm -o "$tmp/rf.cm" "$train"
    msize=$(wc -c <"$tmp/rf.cm")
    [ "$msize" -le 114688 ] || { echo "corpus-roundtrip: FAIL: the CM model is $msize B (> 114,688)"; exit 1; }
    "$ARTPACK" encode -q --cm -D "$tmp/rf.cm" -o "$tmp/bbc.cm" "$bbc"
    "$ARTPACK" decode -q -D "$tmp/rf.cm" -o "$tmp/bbc.cm.jsonl" "$tmp/bbc.cm"
    same "$bbc" "$tmp/bbc.cm.jsonl" "bbc (--cm -D)"
    size=$(wc -c <"$tmp/bbc.cm")
    echo "corpus-roundtrip: bbc.jsonl --cm -D (model of $msize B on reuters_financial): $size B, every article identical (goal <= 1509000)"
    [ "$size" -le 1509000 ] || { echo "corpus-roundtrip: FAIL: bbc CM goal missed"; exit 1; }
fi
# CM bundles (issue 14): the first 400 articles of every corpus file (all
# of them with ARTPACK_CM_BUNDLE_ALL=1: about a minute per 20 MB of JSON on
# an idle machine) through pack --cm with that model (16 KB blocks, two
# compression threads) and unpack, and the last of them by get
if [ -f "$tmp/rf.cm" ]; then
    for f in "$corpus"/*.jsonl; do
        name=$(basename "$f" .jsonl)
        if [ "${ARTPACK_CM_BUNDLE_ALL:-0}" = 1 ]; then grep . "$f" >"$tmp/$name.in.jsonl"
        else grep . "$f" | head -n 400 >"$tmp/$name.in.jsonl"; fi
        "$ARTPACK" pack -q --cm -D "$tmp/rf.cm" -T 2 -o "$tmp/$name.cm.apb" "$tmp/$name.in.jsonl"
        "$ARTPACK" unpack -q -D "$tmp/rf.cm" -o "$tmp/$name.cmb.jsonl" "$tmp/$name.cm.apb"
        same "$tmp/$name.in.jsonl" "$tmp/$name.cmb.jsonl" "$name (CM bundle)"
        n=$(grep -c . "$tmp/$name.in.jsonl")
        "$ARTPACK" get -q -D "$tmp/rf.cm" "$tmp/$name.cm.apb" $((n - 1)) >"$tmp/get.jsonl"
        sed -n "${n}p" "$tmp/$name.in.jsonl" >"$tmp/want.jsonl"
        same "$tmp/want.jsonl" "$tmp/get.jsonl" "$name (CM bundle, get $((n - 1)))"
        echo "corpus-roundtrip: $name: $n articles as a CM bundle, $(wc -c <"$tmp/$name.cm.apb") B of $(wc -c <"$tmp/$name.in.jsonl") B JSON (model named), every one back in order"
        rm -f "$tmp/$name.in.jsonl" "$tmp/$name.cm.apb" "$tmp/$name.cmb.jsonl"
    done
fi
