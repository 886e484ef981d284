#!/bin/sh
# Every article of every corpus file: JSON -> records -> JSON gives the same
# objects (numbers compared by text), and the records re-encoded from the
# decoded JSON are byte-identical. Also checks the size goal on
# reuters_financial.jsonl (records <= 96 % of the JSON bytes).
set -eu
ARTPACK=${ARTPACK:-build/artpack}
corpus=${ARTPACK_CORPUS:-../shared/corpus}
if [ ! -d "$corpus" ] || ! ls "$corpus"/*.jsonl >/dev/null 2>&1; then
    echo "corpus-roundtrip: SKIPPED: no corpus at '$corpus' (set ARTPACK_CORPUS)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
total=0
for f in "$corpus"/*.jsonl; do
    name=$(basename "$f" .jsonl)
    "$ARTPACK" encode -q -o "$tmp/$name.apr" "$f"
    "$ARTPACK" decode -q -o "$tmp/$name.out.jsonl" "$tmp/$name.apr"
    python3 tests/jsonl_same.py "$f" "$tmp/$name.out.jsonl" >"$tmp/cmp" || {
        cat "$tmp/cmp"; echo "corpus-roundtrip: FAIL: $name does not round-trip"; exit 1; }
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
echo "corpus-roundtrip: $total articles round-trip"
