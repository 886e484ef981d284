#!/bin/bash
# CLI behaviour: help, usage errors, round trips, strict JSON with positions,
# nothing left behind on failure, --keep-going, -f, stdin/stdout, bad records.
set -u
ARTPACK=${ARTPACK:-build/artpack}
WRAP=${TEST_WRAP:-}
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d)
# only this shell removes the folder: a child forked for `artpack ... &` that
# a signal test kills before it execs artpack is still bash, runs the EXIT
# trap it inherited, and would remove the folder under the running tests
main_pid=$BASHPID
trap '[ "$BASHPID" = "$main_pid" ] && rm -rf "$t"' EXIT
fails=0 count=0

ap() { $WRAP "$ARTPACK" "$@"; }
ok() { count=$((count + 1)); }
bad() { count=$((count + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
# run CMD..., storing status in $rc, stdout in $t/out.txt, stderr in $t/err.txt
run() { "$@" >"$t/out.txt" 2>"$t/err.txt"; rc=$?; }
expect_rc() { # expected-status description
    if [ "$rc" = "$1" ]; then ok; else bad "$2: status $rc, wanted $1; stderr: $(head -c 300 "$t/err.txt")"; fi
}
expect_err() { # pattern description
    if grep -q -- "$1" "$t/err.txt"; then ok; else bad "$2: stderr lacks '$1': $(head -c 300 "$t/err.txt")"; fi
}

# ---- help and usage ----
run ap --help; expect_rc 0 "--help"
grep -q '^Usage: artpack' "$t/out.txt" && ok || bad "--help prints usage on stdout"
[ ! -s "$t/err.txt" ] && ok || bad "--help writes nothing on stderr"
for cmd in encode decode; do grep -q "^  $cmd " "$t/out.txt" && ok || bad "--help lists $cmd"; done
run ap help; expect_rc 0 "help command"
run ap --version; expect_rc 0 "--version"; grep -q '^artpack [0-9]' "$t/out.txt" && ok || bad "--version text"
run ap; expect_rc 1 "no command"; expect_err "no command" "no command"
run ap frobnicate; expect_rc 1 "unknown command"; expect_err "unknown command" "unknown command"
run ap encode --bogus; expect_rc 1 "unknown option"; expect_err "unknown option" "unknown option"
run ap encode -o; expect_rc 1 "-o without a file"
run ap encode a b; expect_rc 1 "two inputs"
[ ! -s "$t/out.txt" ] && ok || bad "usage errors write nothing on stdout"
run ap encode "$t/missing.jsonl" -o "$t/x.apr"; expect_rc 1 "missing input"; expect_err "No such file" "missing input"

# ---- round trip of the fixture, files and pipes ----
seed=$here/data/seed.jsonl
run ap encode -o "$t/seed.apr" "$seed"; expect_rc 0 "encode seed"
run ap decode -o "$t/seed.out" "$t/seed.apr"; expect_rc 0 "decode seed"
python3 "$here/jsonl_same.py" "$seed" "$t/seed.out" >/dev/null && ok || bad "seed round trip"
ap encode - <"$seed" | ap decode >"$t/pipe.out" 2>"$t/err.txt" && ok || bad "stdin/stdout pipeline"
cmp -s "$t/pipe.out" "$t/seed.out" && ok || bad "pipeline output equals file output"
run ap encode -o "$t/seed.apr" "$seed"; expect_rc 1 "existing output without -f"
expect_err "already exists" "existing output"
run ap encode -f -o "$t/seed.apr" "$seed"; expect_rc 0 "-f overwrites"
run ap encode -v -o "$t/v.apr" "$seed"; expect_rc 0 "-v"; expect_err "1 articles" "-v summary"

# ---- golden files freeze the format (docs/FORMAT.md) ----
for g in "$here"/data/golden/*.jsonl; do
    case "$g" in *.out.jsonl) continue ;; esac
    base=${g%.jsonl}; name=$(basename "$base")
    ap encode "$g" >"$t/g.apr" 2>"$t/err.txt" && cmp -s "$t/g.apr" "$base.apr" && ok || bad "golden $name: encode differs from $name.apr"
    ap decode "$base.apr" >"$t/g.out" 2>"$t/err.txt" && cmp -s "$t/g.out" "$base.out.jsonl" && ok || bad "golden $name: decode differs from $name.out.jsonl"
    ap encode "$base.out.jsonl" | cmp -s - "$base.apr" && ok || bad "golden $name: canonical output does not re-encode to the same bytes"
    python3 "$here/jsonl_same.py" "$g" "$base.out.jsonl" >/dev/null && ok || bad "golden $name: output is not the same objects"
done

# ---- valid edge cases come back unchanged (numbers by text) ----
cat >"$t/edge.jsonl" <<'JSON'
{"id":"e1","title":"tab\there \"quoted\" back\\slash \u00e9 \ud83d\ude00 nul\u0000end","body":["", "x"],"tags":[]}
{"":"empty key","id":123456789012345678901234567890,"n":-0.000e-5,"big":1E+400,"neg":-42,"\u00fcnic\u00f8de":{"b":[true,false,null],"a":1.50}}
{}
{"published":"2006-10-20T18:15:00.790+05:30","date":"1987-02-29","author":"","authors":["A","B"],"tags":"not-a-list","body":["p", 7]}
   {"id":"indented"}   
JSON
run ap encode -o "$t/edge.apr" "$t/edge.jsonl"; expect_rc 0 "edge cases accepted"
run ap decode -o "$t/edge.out" "$t/edge.apr"; expect_rc 0 "edge cases decode"
python3 "$here/jsonl_same.py" "$t/edge.jsonl" "$t/edge.out" >"$t/cmp.txt" && ok || bad "edge cases round trip: $(cat "$t/cmp.txt")"
grep -q '"big":1E+400' "$t/edge.out" && ok || bad "number text 1E+400 kept"
grep -q '"a":1.50' "$t/edge.out" && ok || bad "number text 1.50 kept"
grep -q '"n":-0.000e-5' "$t/edge.out" && ok || bad "number text -0.000e-5 kept"
grep -q 'nul\\u0000end' "$t/edge.out" && ok || bad "\\u0000 kept"
grep -q '"date":"1987-02-29"' "$t/edge.out" && ok || bad "impossible date kept as text"
grep -q '"published":"2006-10-20T18:15:00.790+05:30"' "$t/edge.out" && ok || bad "timestamp kept"
printf '{\n  "id": "pretty",\n  "body": [\n    "one"\n  ]\n}\n' >"$t/pretty.json"
run ap encode -o "$t/pretty.apr" "$t/pretty.json"; expect_rc 0 "pretty-printed single object"
ap decode "$t/pretty.apr" | grep -qx '{"id":"pretty","body":\["one"\]}' && ok || bad "pretty object content"
: >"$t/empty.jsonl"
run ap encode -o "$t/empty.apr" "$t/empty.jsonl"; expect_rc 0 "empty input"
run ap decode -o "$t/empty.out" "$t/empty.apr"; expect_rc 0 "empty stream"; [ ! -s "$t/empty.out" ] && ok || bad "empty stream gives no lines"

# ---- malformed JSON: status 1, a position, no output file ----
check_bad_json() { # name file position-pattern message-pattern
    rm -f "$t/bad.apr"
    run ap encode -o "$t/bad.apr" "$2"
    expect_rc 1 "bad JSON ($1)"
    expect_err "$3" "bad JSON ($1) position"
    expect_err "$4" "bad JSON ($1) message"
    [ ! -e "$t/bad.apr" ] && ok || bad "bad JSON ($1) left an output file"
    [ -z "$(ls "$t" | grep 'bad.apr.tmp' || true)" ] && ok || bad "bad JSON ($1) left a temporary file"
}
printf '{"id":"a"}\n{"id":"b","x":1,"x":2}\n{"id":"c"}\n' >"$t/dup.jsonl"
check_bad_json "duplicate key" "$t/dup.jsonl" "dup.jsonl:2:[0-9]*: article 2:" "duplicate object key"
printf '{"title":"caf\xe9"}\n' >"$t/utf8.jsonl"
check_bad_json "invalid UTF-8" "$t/utf8.jsonl" ":1:[0-9]*: article 1" "UTF-8"
printf '{"title":"\xc0\xaf"}\n' >"$t/overlong.jsonl"
check_bad_json "overlong UTF-8" "$t/overlong.jsonl" ":1:" "UTF-8"
printf '{"title":"\\ud800"}\n' >"$t/surrogate.jsonl"
check_bad_json "lone surrogate" "$t/surrogate.jsonl" ":1:" "Unicode"
printf '{"title":"a\tb"}\n' >"$t/control.jsonl"
check_bad_json "raw control character" "$t/control.jsonl" ":1:" "control character"
printf '{"title":"a\0b"}\n' >"$t/nul.jsonl"
check_bad_json "NUL byte" "$t/nul.jsonl" ":1:" "article 1"
printf '{"id":"a"} x\n' >"$t/trailing.jsonl"
check_bad_json "trailing garbage" "$t/trailing.jsonl" ":1:12: article 1" "after the object"
printf '{"id":"a"}{"id":"b"}\n' >"$t/two.jsonl"
check_bad_json "two objects on a line" "$t/two.jsonl" ":1:11:" "after the object"
printf '["a"]\n' >"$t/array.jsonl"
check_bad_json "top-level array" "$t/array.jsonl" ":1:1:" "must be a JSON object"
printf '"just a string"\n' >"$t/string.jsonl"
check_bad_json "top-level string" "$t/string.jsonl" ":1:" "expected"
printf '{"id":"a","body":["x"\n' >"$t/truncated.jsonl"
check_bad_json "truncated" "$t/truncated.jsonl" ":" "article 1"
printf '{"a":[[[[' >"$t/unbalanced.jsonl"
check_bad_json "unbalanced" "$t/unbalanced.jsonl" ":1:" "article 1"
python3 -c 'print("{\"a\":" + "[" * 3000 + "]" * 3000 + "}")' >"$t/deep.jsonl"
check_bad_json "too deep" "$t/deep.jsonl" ":1:" "depth"
python3 -c 'print("{\"n\":" + "1" * 513 + "}")' >"$t/longnum.jsonl"
check_bad_json "number too long" "$t/longnum.jsonl" ":1:6: article 1" "number too long"
printf '{"n":01}\n' >"$t/leadzero.jsonl"
check_bad_json "leading zero" "$t/leadzero.jsonl" ":1:" "article 1"
printf '{"n":1.}\n' >"$t/badfrac.jsonl"
check_bad_json "bad fraction" "$t/badfrac.jsonl" ":1:" "article 1"
printf '{"n":NaN}\n' >"$t/nan.jsonl"
check_bad_json "NaN" "$t/nan.jsonl" ":1:" "article 1"
printf '\xef\xbb\xbf{"id":"bom"}\n' >"$t/bom.jsonl"
check_bad_json "byte order mark" "$t/bom.jsonl" ":1:1:" "article 1"

# ---- --keep-going ----
run ap encode --keep-going -o "$t/kg.apr" "$t/dup.jsonl"; expect_rc 2 "--keep-going (status 2: something skipped)"
expect_err "article 2" "--keep-going reports the bad article"; expect_err "1 skipped" "--keep-going counts"
ap decode "$t/kg.apr" >"$t/kg.out" 2>/dev/null
[ "$(wc -l <"$t/kg.out")" = 2 ] && grep -q '"id":"c"' "$t/kg.out" && ok || bad "--keep-going keeps the good articles"

# ---- bad record streams ----
printf 'not a stream' >"$t/junk.apr"
run ap decode -o "$t/junk.out" "$t/junk.apr"; expect_rc 1 "bad magic"; expect_err "bad magic" "bad magic"
[ ! -e "$t/junk.out" ] && ok || bad "bad magic left an output file"
printf 'APKR\x09' >"$t/ver.apr"
run ap decode "$t/ver.apr"; expect_rc 1 "unknown stream version"; expect_err "version 9" "unknown version"
run ap info "$t/ver.apr"; expect_rc 1 "info: unknown stream version"; expect_err "version 9" "info names the unknown version"
printf 'APKR' >"$t/short.apr"
run ap decode "$t/short.apr"; expect_rc 1 "stream header cut"; expect_err "record stream header truncated" "stream header cut named"
size=$(wc -c <"$t/seed.apr")
head -c $((size - 1)) "$t/seed.apr" >"$t/cut.apr"
run ap decode -o "$t/cut.out" "$t/cut.apr"; expect_rc 1 "truncated stream"; expect_err "truncated" "truncated stream"
[ ! -e "$t/cut.out" ] && ok || bad "truncated stream left an output file"
# a record whose end byte is replaced: the record decoder names the error
python3 - "$t/seed.apr" "$t/corrupt.apr" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[-1] = 0x7f
open(sys.argv[2], "wb").write(d)
PY
run ap decode "$t/corrupt.apr"; expect_rc 1 "corrupt record"; expect_err "record 1 (byte 7): ARTPACK_E_" "corrupt record named"
# --keep-going on decode skips a bad record between good ones
cat "$t/seed.apr" >"$t/mixed.apr"; tail -c +6 "$t/corrupt.apr" >>"$t/mixed.apr"; tail -c +6 "$t/seed.apr" >>"$t/mixed.apr"
run ap decode --keep-going "$t/mixed.apr"; expect_rc 2 "decode --keep-going"
[ "$(grep -c . "$t/out.txt")" = 2 ] && ok || bad "decode --keep-going keeps 2 of 3"
expect_err "record 2" "decode --keep-going reports record 2"

# ---- dictionaries and compression ----
python3 "$here/make-articles.py" 400 1 >"$t/train.jsonl"
python3 "$here/make-articles.py" 60 2 >"$t/test.jsonl"
python3 "$here/make-articles.py" 400 3 >"$t/train2.jsonl"
run ap train --size 8K -o "$t/d.dict" "$t/train.jsonl"; expect_rc 0 "train"
[ "$(wc -c <"$t/d.dict")" -le 8192 ] && ok || bad "train --size 8K"
[ "$(head -c 4 "$t/d.dict" | od -An -tx1 | tr -d ' ')" = 37a430ec ] && ok || bad "dictionary has the zstd magic"
run ap train --size 8K -o "$t/d2.dict" "$t/train.jsonl"; cmp -s "$t/d.dict" "$t/d2.dict" && ok || bad "train is deterministic"
run ap train --size 8K -o "$t/other.dict" "$t/train2.jsonl"; expect_rc 0 "train a second dictionary"
head -c 20000 "$t/test.jsonl" >"$t/plain.txt"
# zstd -D and lz4 -D take a dictionary with a word list as it is (docs/FORMAT.md,
# "In the dictionary"): d.dict holds one; zstd's frames name its ID and need
# it: without it, or with another, zstd refuses them
dict_info() { ap info --json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
[ "$(dict_info "$t/d.dict" words)" -gt 0 ] && ok || bad "d.dict holds a word list (info: $(dict_info "$t/d.dict" words) words)"
[ "$(dict_info "$t/d.dict" word_list_bytes)" -gt 4 ] && ok || bad "info: the word list's bytes"
# train learns tokens with a leading space (" the"): list version 2
[ "$(dict_info "$t/d.dict" word_list_version)" = 2 ] && [ "$(dict_info "$t/d.dict" words_spaced)" -gt 0 ] && ok || bad "info: a version 2 list with spaced tokens"
ap train --no-words --size 8K -o "$t/nw.dict" "$t/train.jsonl" 2>/dev/null
[ "$(dict_info "$t/nw.dict" words)" = 0 ] && [ "$(dict_info "$t/nw.dict" word_list_bytes)" = 0 ] && [ "$(dict_info "$t/nw.dict" words_spaced)" = 0 ] && ok || bad "info: no word list after train --no-words"
zstd -q -D "$t/d.dict" -o "$t/plain.zst" "$t/plain.txt" && zstd -q -d -D "$t/d.dict" -c "$t/plain.zst" | cmp -s - "$t/plain.txt" && ok || bad "zstd -D with a word-list dictionary: round trip"
[ "$(zstd -lv "$t/plain.zst" 2>/dev/null | awk '$1 == "DictID:" { print $2 }')" = "$(dict_info "$t/d.dict" dict_id)" ] && ok || bad "zstd -D: the frame names the artpack dictionary's ID"
zstd -q -d -c "$t/plain.zst" >/dev/null 2>&1 && bad "zstd -d without the dictionary succeeded" || ok
zstd -q -d -D "$t/other.dict" -c "$t/plain.zst" >/dev/null 2>&1 && bad "zstd -d with the wrong dictionary succeeded" || ok
lz4 -q -D "$t/d.dict" "$t/plain.txt" "$t/plain.lz4" && lz4 -q -d -D "$t/d.dict" -c "$t/plain.lz4" | cmp -s - "$t/plain.txt" && ok || bad "lz4 -D with a word-list dictionary: round trip"
run ap train --size 1K -o "$t/x.dict" "$t/train.jsonl"; expect_rc 1 "--size below 4K"; expect_err "4K to 8M" "--size message"
run ap train --size 9M -o "$t/x.dict" "$t/train.jsonl"; expect_rc 1 "--size above 8M"
head -n 3 "$t/train.jsonl" >"$t/few.jsonl"
run ap train -o "$t/x.dict" "$t/few.jsonl"; expect_rc 1 "train on 3 articles"; expect_err "training failed" "train on too few"
[ ! -e "$t/x.dict" ] && ok || bad "failed training left a file"
run ap train -o "$t/x.dict"; expect_rc 1 "train without files"
for mode in "-D $t/d.dict" "-1 -D $t/d.dict" "--ultra -22 -D $t/d.dict" "--lz4 -D $t/d.dict" "--lz4 -9" "-19" "--stored" "--no-check -D $t/d.dict"; do
    # shellcheck disable=SC2086
    run ap encode $mode -o "$t/c.apz" "$t/test.jsonl"; expect_rc 0 "encode $mode"
    run ap decode -D "$t/d.dict" -o "$t/c.out" "$t/c.apz"; expect_rc 0 "decode of encode $mode"
    python3 "$here/jsonl_same.py" "$t/test.jsonl" "$t/c.out" >/dev/null && ok || bad "round trip of encode $mode"
    rm -f "$t/c.apz" "$t/c.out"
done
ap encode -D "$t/d.dict" "$t/test.jsonl" >"$t/withdict.apz" 2>/dev/null
ap encode -19 "$t/test.jsonl" >"$t/nodict.apz" 2>/dev/null
[ "$(wc -c <"$t/withdict.apz")" -lt "$(wc -c <"$t/nodict.apz")" ] && ok || bad "the dictionary makes the stream smaller"
run ap encode -20 -o "$t/x.apz" "$t/test.jsonl"; expect_rc 1 "-20 without --ultra"; expect_err "ultra" "-20 message"
run ap encode --lz4 -13 -o "$t/x.apz" "$t/test.jsonl"; expect_rc 1 "LZ4 level 13"
run ap encode -D "$t/missing.dict" -o "$t/x.apz" "$t/test.jsonl"; expect_rc 1 "missing dictionary file"
run ap encode -D "$t/test.jsonl" -o "$t/x.apz" "$t/test.jsonl"; expect_rc 1 "not a dictionary"; expect_err "ARTPACK_E_DICT" "not a dictionary named"
run ap decode -o "$t/x.out" "$t/withdict.apz"; expect_rc 1 "decode without -D"; expect_err "ARTPACK_E_NEED_DICT" "need dict named"
run ap decode -D "$t/other.dict" -o "$t/x.out" "$t/withdict.apz"; expect_rc 1 "wrong dictionary"; expect_err "ARTPACK_E_WRONG_DICT" "wrong dict named"
[ ! -e "$t/x.out" ] && ok || bad "failed decode left a file"
size=$(wc -c <"$t/withdict.apz")
head -c $((size - 3)) "$t/withdict.apz" >"$t/cut.apz"
run ap decode -D "$t/d.dict" "$t/cut.apz"; expect_rc 1 "truncated compressed stream"; expect_err "truncated" "truncated compressed stream"
python3 - "$t/withdict.apz" "$t/flip.apz" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[-2] ^= 0x10  # inside the last checksum
open(sys.argv[2], "wb").write(d)
PY
run ap decode -D "$t/d.dict" "$t/flip.apz"; expect_rc 1 "damaged article"; expect_err "ARTPACK_E_CHECKSUM" "damaged article named"
run ap decode --keep-going -D "$t/d.dict" "$t/flip.apz"; expect_rc 2 "decode --keep-going past a damaged article"
[ "$(grep -c . "$t/out.txt")" = 59 ] && ok || bad "decode --keep-going keeps the 59 good articles"

# ---- bundles ----
python3 "$here/make-articles.py" 200 5 >"$t/b.jsonl"
python3 "$here/make-articles.py" 30 6 >"$t/more.jsonl"
run ap pack -D "$t/d.dict" --block-size 8K -o "$t/b.apb" "$t/b.jsonl"; expect_rc 0 "pack"
run ap verify "$t/b.apb"; expect_rc 1 "verify without the dictionary it names"; expect_err "ARTPACK_E_NEED_DICT" "bundle needs its dictionary"
run ap verify -D "$t/d.dict" "$t/b.apb"; expect_rc 0 "verify"; grep -q "OK: 200 articles" "$t/out.txt" && ok || bad "verify reports the count"
run ap unpack -D "$t/d.dict" -o "$t/b.out" "$t/b.apb"; expect_rc 0 "unpack"
python3 "$here/jsonl_same.py" "$t/b.jsonl" "$t/b.out" >/dev/null && ok || bad "unpack gives back every article in order"
run ap unpack -D "$t/other.dict" "$t/b.apb"; expect_rc 1 "unpack with the wrong dictionary"; expect_err "ARTPACK_E_WRONG_DICT" "wrong bundle dictionary named"
for mode in "--embed-dict -D $t/d.dict" "--train --size 8K" "--lz4 --embed-dict -D $t/d.dict" "--stored" "-3 --block-size 1"; do
    # shellcheck disable=SC2086
    run ap pack $mode -o "$t/m.apb" "$t/b.jsonl"; expect_rc 0 "pack $mode"
    run ap unpack -o "$t/m.out" "$t/m.apb"; expect_rc 0 "unpack of pack $mode (no -D: embedded or none)"
    python3 "$here/jsonl_same.py" "$t/b.jsonl" "$t/m.out" >/dev/null && ok || bad "round trip of pack $mode"
    rm -f "$t/m.apb" "$t/m.out"
done
# without -D: a dictionary trained on the bundle's own articles when they
# fill 3 blocks (b.jsonl: about 170 KB of records), embedded; --no-dict: none;
# zstd blocks are columnar unless --rows (info's format flags)
info_field() { ap info --json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
run ap pack -v --block-size 16K -o "$t/auto.apb" "$t/b.jsonl"; expect_rc 0 "pack without -D"
expect_err "trained on the first 200 articles" "pack without -D trains on the articles"
[ "$(info_field "$t/auto.apb" dict)" = embedded ] && ok || bad "pack without -D embeds the dictionary it trains"
[ "$(info_field "$t/auto.apb" layout)" = columns ] && ok || bad "pack: zstd blocks are columnar"
run ap pack --block-size 16K --no-dict -o "$t/nod.apb" "$t/b.jsonl"; expect_rc 0 "pack --no-dict"
[ "$(info_field "$t/nod.apb" dict)" = none ] && ok || bad "pack --no-dict: no dictionary"
[ "$(stat -c %s "$t/auto.apb")" -lt "$(stat -c %s "$t/nod.apb")" ] && ok || bad "the trained dictionary pays on b.jsonl"
run ap pack --block-size 128K -o "$t/few.apb" "$t/b.jsonl"; expect_rc 0 "pack of under 3 blocks"
[ "$(info_field "$t/few.apb" dict)" = none ] && ok || bad "pack of under 3 blocks trains no dictionary"
run ap pack --rows -D "$t/d.dict" -o "$t/rows.apb" "$t/b.jsonl"; expect_rc 0 "pack --rows"
[ "$(info_field "$t/rows.apb" layout)" = rows ] && ok || bad "pack --rows: row blocks"
run ap pack --no-similar -D "$t/d.dict" -o "$t/order.apb" "$t/b.jsonl"; expect_rc 0 "pack --no-similar"
[ "$(info_field "$t/order.apb" blocks_by)" = order ] && ok || bad "pack --no-similar: blocks in input order"
[ "$(info_field "$t/rows.apb" blocks_by)" = "similarity (block map)" ] && ok || bad "pack assigns blocks by similarity by default"
# similarity by default at levels 10 and up (the codecs' default levels among
# them), in order at faster levels and for stored blocks; --similar and
# --no-similar decide whatever the level
for lv in "-3:order" "-9:order" "-10:similarity (block map)" "-19:similarity (block map)" \
          "--lz4 -2:order" "--lz4:similarity (block map)" "--stored:order" \
          "--similar -3:similarity (block map)" "--no-similar -19:order" "--similar --stored:similarity (block map)"; do
    # shellcheck disable=SC2086
    ap pack ${lv%%:*} --block-size 8K -D "$t/d.dict" -o "$t/lv.apb" -f "$t/b.jsonl" 2>"$t/err.txt" || bad "pack ${lv%%:*}: $(head -c 200 "$t/err.txt")"
    [ "$(info_field "$t/lv.apb" blocks_by)" = "${lv#*:}" ] && ok || bad "pack ${lv%%:*}: blocks by ${lv#*:}"
done
for f in auto nod few rows order; do
    dopt=; [ $f = rows ] || [ $f = order ] && dopt="-D $t/d.dict"
    # shellcheck disable=SC2086
    run ap unpack -f $dopt -o "$t/m.out" "$t/$f.apb"; expect_rc 0 "unpack of $f.apb"
    python3 "$here/jsonl_same.py" "$t/b.jsonl" "$t/m.out" >/dev/null && ok || bad "round trip of $f.apb"
done
rm -f "$t/m.out"
run ap pack --no-dict -D "$t/d.dict" -o "$t/x.apb" "$t/b.jsonl"; expect_rc 1 "pack --no-dict with -D"
ap pack -D "$t/d.dict" -o "$t/cols.apb" "$t/b.jsonl" 2>/dev/null
run ap merge -D "$t/d.dict" -o "$t/bad.apb" "$t/cols.apb" "$t/rows.apb"; expect_rc 1 "merge of columnar and row bundles"; expect_err "columnar" "merge refusal names the layouts"
# the word transform in bundles: with a dictionary that holds a word list
# (d.dict does) unless --no-words; recover keeps it; merge needs the same
[ "$(info_field "$t/cols.apb" word_transform)" = yes ] && ok || bad "pack -D with a word list: word transform"
[ "$(info_field "$t/rows.apb" word_transform)" = yes ] && ok || bad "pack --rows -D with a word list: word transform"
run ap pack --no-words -D "$t/d.dict" -o "$t/nw.apb" "$t/b.jsonl"; expect_rc 0 "pack --no-words"
[ "$(info_field "$t/nw.apb" word_transform)" = no ] && ok || bad "pack --no-words: no word transform"
[ "$(stat -c %s "$t/cols.apb")" -lt "$(stat -c %s "$t/nw.apb")" ] && ok || bad "the word transform pays on b.jsonl"
run ap pack --lz4 -D "$t/d.dict" -o "$t/lw.apb" "$t/b.jsonl"; expect_rc 0 "pack --lz4 -D with a word list"
[ "$(info_field "$t/lw.apb" word_transform)" = yes ] && ok || bad "pack --lz4 -D: word transform"
run ap recover -D "$t/d.dict" -o "$t/rw.apb" "$t/cols.apb"; expect_rc 0 "recover of a word-transformed bundle"
[ "$(info_field "$t/rw.apb" word_transform)" = yes ] && ok || bad "recover keeps the word transform"
for f in cols nw lw rw; do
    run ap unpack -f -D "$t/d.dict" -o "$t/m.out" "$t/$f.apb"; expect_rc 0 "unpack of $f.apb"
    python3 "$here/jsonl_same.py" "$t/b.jsonl" "$t/m.out" >/dev/null && ok || bad "round trip of $f.apb"
done
run ap verify -D "$t/d.dict" "$t/cols.apb"; expect_rc 0 "verify of a word-transformed bundle"
run ap merge -D "$t/d.dict" -o "$t/mw.apb" "$t/cols.apb" "$t/rw.apb"; expect_rc 0 "merge of word-transformed bundles"
[ "$(info_field "$t/mw.apb" word_transform)" = yes ] && ok || bad "merge keeps the word transform"
run ap merge -D "$t/d.dict" -o "$t/bad.apb" "$t/cols.apb" "$t/nw.apb"; expect_rc 1 "merge of bundles with and without the word transform"; expect_err "no word transform" "merge refusal names the word transform"
rm -f "$t/m.out" "$t/nw.apb" "$t/lw.apb" "$t/rw.apb" "$t/mw.apb"
run ap get -D "$t/d.dict" "$t/b.apb" 7; expect_rc 0 "get N"
sed -n 8p "$t/b.jsonl" >"$t/want.jsonl"; python3 "$here/jsonl_same.py" "$t/want.jsonl" "$t/out.txt" >/dev/null && ok || bad "get 7 is the 8th article"
run ap get -D "$t/d.dict" "$t/b.apb" --id synthetic-5-42; expect_rc 0 "get --id"; grep -q '"id":"synthetic-5-42"' "$t/out.txt" && ok || bad "get --id finds it"
run ap get -D "$t/d.dict" "$t/b.apb" --id nope; expect_rc 1 "get --id missing"; expect_err "ARTPACK_E_NOT_FOUND" "missing id named"
run ap get -D "$t/d.dict" "$t/b.apb" 200; expect_rc 1 "get past the end"; expect_err "numbers start at 0" "get past the end message"
run ap get -D "$t/d.dict" "$t/b.apb" x; expect_rc 1 "get with a bad number"
run ap ls -D "$t/d.dict" "$t/b.apb"; expect_rc 0 "ls"; [ "$(wc -l <"$t/out.txt")" = 201 ] && ok || bad "ls: a header and 200 lines"
grep -q "^0	synthetic-5-0	2026-" "$t/out.txt" && ok || bad "ls: number, id, date"
cp "$t/b.apb" "$t/a.apb"
size0=$(wc -c <"$t/a.apb")
run ap append -D "$t/d.dict" "$t/a.apb" "$t/more.jsonl"; expect_rc 0 "append"
head -c "$size0" "$t/a.apb" | cmp -s - "$t/b.apb" && ok || bad "append leaves the committed bytes as they were"
run ap unpack -D "$t/d.dict" -o "$t/a.out" "$t/a.apb"; cat "$t/b.jsonl" "$t/more.jsonl" >"$t/ab.jsonl"
python3 "$here/jsonl_same.py" "$t/ab.jsonl" "$t/a.out" >/dev/null && ok || bad "after append: all 230 articles in order"
size1=$(wc -c <"$t/a.apb")
for cut in $((size0 + 1)) $(((size0 + size1) / 2)) $((size1 - 1)); do # power loss during the append
    head -c "$cut" "$t/a.apb" >"$t/cut.apb"
    run ap unpack -f -D "$t/d.dict" -o "$t/cut.out" "$t/cut.apb"; expect_rc 0 "a bundle cut at $cut of an append opens"
    python3 "$here/jsonl_same.py" "$t/b.jsonl" "$t/cut.out" >/dev/null && ok || bad "cut at $cut: the 200 committed articles"
    expect_err "interrupted append" "cut at $cut: the ignored tail is reported"
    run ap append -D "$t/d.dict" "$t/cut.apb" "$t/more.jsonl"; expect_rc 1 "append refuses an uncommitted tail without -f"
    expect_err "not a committed append" "append explains the uncommitted tail"
    run ap append -f -D "$t/d.dict" "$t/cut.apb" "$t/more.jsonl"; expect_rc 0 "append -f after an interrupted append"
    run ap unpack -f -D "$t/d.dict" -o "$t/cut.out" "$t/cut.apb"; python3 "$here/jsonl_same.py" "$t/ab.jsonl" "$t/cut.out" >/dev/null && ok || bad "cut at $cut, then append: 230 articles"
done
python3 - "$t/b.apb" "$t/flip.apb" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[len(d) // 3] ^= 0x04  # inside a block
open(sys.argv[2], "wb").write(d)
PY
run ap verify -D "$t/d.dict" "$t/flip.apb"; expect_rc 1 "verify finds a flipped bit"; expect_err "is damaged" "verify names the damaged block"
expect_err "recover" "verify points to recover"
run ap recover -D "$t/d.dict" -o "$t/rec.apb" "$t/flip.apb"; expect_rc 0 "recover"
run ap unpack -D "$t/d.dict" -o "$t/rec.out" "$t/rec.apb"; expect_rc 0 "unpack of the recovered bundle"
n_rec=$(grep -c . "$t/rec.out"); [ "$n_rec" -gt 150 ] && [ "$n_rec" -lt 200 ] && ok || bad "recover keeps the intact blocks ($n_rec of 200)"
python3 - "$t/b.jsonl" "$t/rec.out" <<'PY' && ok || bad "every recovered article is an original one, in order"
import json, sys
orig = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rec = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
it = iter(orig)
sys.exit(0 if all(any(r == o for o in it) for r in rec) else 1)
PY
run ap merge -D "$t/d.dict" -o "$t/merged.apb" "$t/b.apb" "$t/a.apb"; expect_rc 0 "merge"
run ap unpack -D "$t/d.dict" -o "$t/merged.out" "$t/merged.apb"; cat "$t/b.jsonl" "$t/ab.jsonl" >"$t/bab.jsonl"
python3 "$here/jsonl_same.py" "$t/bab.jsonl" "$t/merged.out" >/dev/null && ok || bad "merge: both bundles' articles in order"
ap pack --lz4 -D "$t/d.dict" -o "$t/lz.apb" "$t/b.jsonl" 2>/dev/null
run ap merge -D "$t/d.dict" -o "$t/bad.apb" "$t/b.apb" "$t/lz.apb"; expect_rc 1 "merge of different codecs"; expect_err "must share" "merge refusal explained"
printf 'not a bundle at all, just text that is long enough to be read' >"$t/nb.apb"
run ap verify "$t/nb.apb"; expect_rc 1 "verify of a non-bundle"; expect_err "ARTPACK_E_BUNDLE" "non-bundle named"
run ap pack -D "$t/d.dict" --train -o "$t/x.apb" "$t/b.jsonl"; expect_rc 1 "pack -D with --train"
run ap pack --block-size 0 -o "$t/x.apb" "$t/b.jsonl"; expect_rc 1 "pack --block-size 0"

# ---- the Nth allocation fails, for every N: a clean error, no output, no leak
# (leaks and bad frees make ASan or valgrind change the exit status) ----
alloc_fail_loop() { # description args...
    desc=$1; shift
    n=1
    while [ $n -le 2000 ]; do
        rm -f "$t/af.out"
        ARTPACK_FAIL_ALLOC=$n $WRAP "$ARTPACK" "$@" -o "$t/af.out" >/dev/null 2>"$t/af.err"; s=$?
        [ $s = 0 ] && break
        if [ $s != 1 ] || ! grep -qiE "memory|allocation" "$t/af.err" || [ -e "$t/af.out" ]; then
            bad "$desc: allocation $n failing gave status $s: $(head -c 300 "$t/af.err")"; return
        fi
        n=$((n + 1))
    done
    [ $n -gt 1 ] && [ $n -le 2000 ] && ok || bad "$desc: no run succeeded (n=$n)"
    echo "cli.sh: $desc: every one of $((n - 1)) allocations fails cleanly"
}
alloc_fail_loop "encode -D" encode -D "$t/d.dict" "$here/data/golden/edge.jsonl"
alloc_fail_loop "encode --lz4 -D" encode --lz4 -D "$t/d.dict" "$here/data/golden/edge.jsonl"
alloc_fail_loop "encode (records)" encode "$here/data/seed.jsonl"
ap encode -D "$t/d.dict" "$here/data/golden/edge.jsonl" >"$t/edge.apz" 2>/dev/null
alloc_fail_loop "decode -D" decode -D "$t/d.dict" "$t/edge.apz"

# ---- threads: the same bytes for every -T ----
# (-T 8: more workers than cores, so blocks finish out of order more often)
for cmd in "pack --block-size 8K -3" "encode -3" "pack --lz4 --block-size 4K"; do
    for n in 1 2 3 8; do
        # shellcheck disable=SC2086
        ap $cmd -T $n -D "$t/d.dict" -o "$t/thr$n.out" -f "$t/b.jsonl" 2>"$t/err.txt" || bad "$cmd -T $n failed: $(head -c 200 "$t/err.txt")"
    done
    cmp -s "$t/thr1.out" "$t/thr2.out" && cmp -s "$t/thr1.out" "$t/thr3.out" && cmp -s "$t/thr1.out" "$t/thr8.out" && ok || bad "$cmd: -T 1, 2, 3, 8 give different bytes"
done
# append queues each full block for -T workers while it fills the next (as pack):
# the same bytes for every -T, every codec and layout, with the block map
# (pack's default: the appended articles are assigned by similarity too) and
# without
head -n 40 "$t/b.jsonl" >"$t/thr-base.jsonl"
for opts in "--similar --block-size 8K -3" "--no-similar --block-size 8K -3" "--similar --rows --block-size 8K -3" "--similar --embed-dict --block-size 8K -3" "--similar --lz4 --block-size 4K" "--similar --stored --block-size 4K"; do
    # shellcheck disable=SC2086
    ap pack $opts -D "$t/d.dict" -o "$t/thr-base.apb" -f "$t/thr-base.jsonl" 2>"$t/err.txt" || bad "pack $opts: $(head -c 200 "$t/err.txt")"
    case "$opts" in --no-similar*) want=order ;; *) want="similarity (block map)" ;; esac
    [ "$(info_field "$t/thr-base.apb" blocks_by)" = "$want" ] && ok || bad "pack $opts: blocks_by is not $want"
    for n in 1 2 3; do
        cp "$t/thr-base.apb" "$t/thr$n.out"
        ap append -T $n -D "$t/d.dict" "$t/thr$n.out" "$t/b.jsonl" 2>"$t/err.txt" || bad "append -T $n ($opts) failed: $(head -c 200 "$t/err.txt")"
    done
    [ "$(ap info --json "$t/thr2.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["blocks"] > 8)')" = True ] && ok || bad "append ($opts): too few blocks for -T to matter"
    cmp -s "$t/thr1.out" "$t/thr2.out" && cmp -s "$t/thr1.out" "$t/thr3.out" && ok || bad "append $opts: -T 1, 2, 3 give different bytes"
done
run ap encode -T 3 -D "$t/d.dict" -o "$t/thr.apz" -f "$t/b.jsonl"; expect_rc 0 "encode -T 3"
run ap decode -D "$t/d.dict" -o "$t/thr.jsonl" "$t/thr.apz"; expect_rc 0 "decode of encode -T 3"
python3 "$here/jsonl_same.py" "$t/b.jsonl" "$t/thr.jsonl" >/dev/null && ok || bad "encode -T 3 round trip"
run ap pack -T 65 -o "$t/x.apb" "$t/b.jsonl"; expect_rc 1 "-T 65 refused"; expect_err "0 (all cores) to 64" "-T range message"
run ap pack --threads=x -o "$t/x.apb" "$t/b.jsonl"; expect_rc 1 "--threads=x refused"
# a failed write of the help, or of any report on standard output, is an error (a full disk)
if [ -w /dev/full ]; then
    ap --help >/dev/full 2>"$t/err.txt"; [ $? = 1 ] && ok || bad "--help > /dev/full exits 0"
    ap verify -D "$t/d.dict" "$t/b.apb" >/dev/full 2>"$t/err.txt"; [ $? = 1 ] && ok || bad "verify > /dev/full exits 0"
    grep -q "No space left" "$t/err.txt" && ok || bad "verify > /dev/full: no message"
    ap --version >/dev/full 2>/dev/null; [ $? = 1 ] && ok || bad "--version > /dev/full exits 0"
    for cmd in "ls -D $t/d.dict $t/b.apb" "get -D $t/d.dict $t/b.apb 3" "unpack -D $t/d.dict $t/b.apb" "decode $t/seed.apr"; do
        # shellcheck disable=SC2086
        ap $cmd >/dev/full 2>/dev/null; [ $? = 1 ] && ok || bad "$cmd > /dev/full exits 0"
    done
fi

# ---- writers that run at once, are interrupted, or fail (issue 11) ----
# 8 appenders at once, several rounds: every article of every appender that
# exited 0 is in the bundle exactly once (appends take turns on a lock)
rounds=20; [ -n "$WRAP" ] && rounds=2
for k in 1 2 3 4 5 6 7 8; do python3 "$here/make-articles.py" 12 $((100 + k)) >"$t/c$k.jsonl"; done
lost=0
for r in $(seq 1 "$rounds"); do
    ap pack -f -3 -D "$t/d.dict" --block-size 4K -o "$t/c.apb" "$t/b.jsonl" 2>/dev/null
    pids=""
    for k in 1 2 3 4 5 6 7 8; do ap append -D "$t/d.dict" "$t/c.apb" "$t/c$k.jsonl" 2>/dev/null & pids="$pids $!"; done
    good=0
    for p in $pids; do wait "$p" && good=$((good + 1)); done
    ap unpack -f -D "$t/d.dict" -o "$t/c.out" "$t/c.apb" 2>/dev/null
    n=$(grep -c . "$t/c.out")
    u=$(grep -o '"id":"[^"]*"' "$t/c.out" | sort -u | wc -l)
    if [ "$good" != 8 ] || [ "$n" != $((200 + 8 * 12)) ] || [ "$u" != "$n" ]; then
        lost=1; bad "concurrent appends, round $r: $good of 8 exited 0, $n articles ($u distinct), wanted 296"; break
    fi
done
[ "$lost" = 0 ] && ok
# --no-wait: fails at once while another holds the lock
rm -f "$t/locked"
python3 - "$t/c.apb" "$t/locked" <<'PY' &
import fcntl, sys, time
f = open(sys.argv[1], "rb+"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(3)
PY
lockpid=$!
for _ in $(seq 100); do [ -e "$t/locked" ] && break; sleep 0.1; done # held (a loaded machine starts python slowly)
size0=$(wc -c <"$t/c.apb")
run ap append --no-wait -D "$t/d.dict" "$t/c.apb" "$t/c1.jsonl"; expect_rc 1 "append --no-wait on a locked bundle"
expect_err "another artpack is writing" "--no-wait message"
[ "$(wc -c <"$t/c.apb")" = "$size0" ] && ok || bad "append --no-wait changed the bundle"
wait "$lockpid"
# a failed append (a bad article, no --keep-going) leaves the bundle as it was
printf '{"id":"ok-1"}\n{"id":\n' >"$t/badtail.jsonl"
run ap append -D "$t/d.dict" "$t/c.apb" "$t/badtail.jsonl"; expect_rc 1 "append of a bad file"
[ "$(wc -c <"$t/c.apb")" = "$size0" ] && ok || bad "a failed append is cut off again"
run ap verify -D "$t/d.dict" "$t/c.apb"; expect_rc 0 "verify after a failed append"
[ ! -s "$t/err.txt" ] && ok || bad "no warning after a failed append: $(head -c 200 "$t/err.txt")"
# output files honour the umask
( umask 077; ap pack -f -D "$t/d.dict" -o "$t/mask.apb" "$t/b.jsonl" ) 2>/dev/null
[ "$(stat -c %a "$t/mask.apb")" = 600 ] && ok || bad "umask 077: mode $(stat -c %a "$t/mask.apb"), wanted 600"
( umask 022; ap unpack -f -D "$t/d.dict" -o "$t/mask.out" "$t/mask.apb" ) 2>/dev/null
[ "$(stat -c %a "$t/mask.out")" = 644 ] && ok || bad "umask 022: mode $(stat -c %a "$t/mask.out"), wanted 644"
# SIGINT/SIGTERM while writing: no temporary file left, the target absent
if [ -z "$WRAP" ]; then
    python3 "$here/make-articles.py" 20000 7 >"$t/big.jsonl"
    for sig in INT TERM HUP; do
        rm -f "$t/sig.apb"
        "$ARTPACK" pack -f -19 -D "$t/d.dict" -o "$t/sig.apb" "$t/big.jsonl" 2>/dev/null & p=$!
        sleep 0.4; kill -s "$sig" "$p"; wait "$p"; s=$?
        left=$(ls "$t" | grep -c 'sig.apb.tmp-' || true)
        good=0
        if [ "$left" = 0 ]; then
            if [ $s -ge 128 ] && [ ! -e "$t/sig.apb" ]; then good=1; fi # interrupted: nothing
            if [ $s = 0 ] && ap verify -q -D "$t/d.dict" "$t/sig.apb"; then good=1; fi # done first
        fi
        [ "$good" = 1 ] && ok || bad "SIG$sig during pack: status $s, $left temporary files left"
    done
fi

# ---- --keep-going past damaged blocks: unpack and ls (issue 11, item 4) ----
# every intact article written, the damaged blocks named, status 2
python3 - "$t/b.apb" "$t/flip2.apb" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[len(d) // 3] ^= 0x04; d[len(d) * 2 // 3] ^= 0x04  # inside two blocks
open(sys.argv[2], "wb").write(d)
PY
for f in flip flip2; do
    ap verify -D "$t/d.dict" "$t/$f.apb" 2>"$t/verify.txt" >/dev/null
    lost=$(sed -n 's/.* blocks damaged, \([0-9]*\) of 200 articles lost.*/\1/p' "$t/verify.txt")
    rm -f "$t/kg.out"
    run ap unpack -D "$t/d.dict" -o "$t/kg.out" "$t/$f.apb"; expect_rc 1 "unpack of a damaged bundle ($f) without --keep-going"
    [ ! -e "$t/kg.out" ] && ok || bad "unpack ($f) without --keep-going left an output"
    expect_err "keep-going" "unpack ($f) points to --keep-going"
    run ap unpack --keep-going -D "$t/d.dict" -o "$t/kg.out" "$t/$f.apb"; expect_rc 2 "unpack --keep-going ($f): status 2"
    [ -n "$lost" ] && [ "$(grep -c . "$t/kg.out")" = $((200 - lost)) ] && ok || bad "unpack --keep-going ($f): $(grep -c . "$t/kg.out") articles written, $lost lost by verify's count"
    python3 - "$t/b.jsonl" "$t/kg.out" <<'PY' && ok || bad "unpack --keep-going ($f): every article written is an original one, in order"
import json, sys
orig = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rec = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
it = iter(orig)
sys.exit(0 if all(any(r == o for o in it) for r in rec) else 1)
PY
    grep -o 'block [0-9]* (articles [0-9]* to [0-9]*) is damaged' "$t/verify.txt" >"$t/want-blocks.txt"
    grep -o 'block [0-9]* (articles [0-9]* to [0-9]*) is damaged' "$t/err.txt" | cmp -s - "$t/want-blocks.txt" && ok || bad "unpack --keep-going ($f) names the blocks verify names: $(cat "$t/err.txt")"
    expect_err "$lost of 200 articles skipped" "unpack --keep-going ($f) counts what it skipped"
    run ap ls --keep-going -D "$t/d.dict" "$t/$f.apb"; expect_rc 2 "ls --keep-going ($f): status 2"
    [ "$(wc -l <"$t/out.txt")" = $((201 - lost)) ] && ok || bad "ls --keep-going ($f): a header and $((200 - lost)) lines"
    run ap ls -D "$t/d.dict" "$t/$f.apb"; expect_rc 1 "ls of a damaged bundle ($f) without --keep-going"
    run ap unpack --keep-going -q -D "$t/d.dict" -o "$t/kg.out" -f "$t/$f.apb"; expect_rc 2 "unpack --keep-going -q ($f): status 2"
    [ ! -s "$t/err.txt" ] && ok || bad "unpack --keep-going -q ($f) is quiet"
done
run ap unpack --keep-going -D "$t/d.dict" -o "$t/kg.out" -f "$t/b.apb"; expect_rc 0 "unpack --keep-going of an intact bundle: status 0"

# ---- train refuses an unusable dictionary, saying why (issue 11, item 5) ----
# identical tiny articles: zstd's trainer made a 135-byte dictionary that every
# later command refused, and pack --train exited 1 without a word
python3 -c '
for i in range(25000): print("{\"id\":\"x\",\"title\":\"same\"}")' >"$t/same.jsonl"
rm -f "$t/same.dict"
run ap train -o "$t/same.dict" "$t/same.jsonl"; expect_rc 1 "train on identical articles"
expect_err "only 1 distinct record" "train on identical articles says why"
expect_err "at least 4096 B" "train on identical articles names the minimum"
expect_err "without one" "train on identical articles says what to do"
[ ! -e "$t/same.dict" ] && ok || bad "train on identical articles wrote a dictionary"
run ap pack --train -o "$t/same.apb" "$t/same.jsonl"; expect_rc 1 "pack --train on identical articles"
expect_err "only 1 distinct record" "pack --train on identical articles says why"
[ ! -e "$t/same.apb" ] && ok || bad "pack --train on identical articles wrote a bundle"
python3 -c '
for i in range(3000): print("{\"id\":\"x%d\",\"title\":\"same\"}" % (i % 20))' >"$t/twenty.jsonl"
run ap train -o "$t/same.dict" "$t/twenty.jsonl"; expect_rc 1 "train on 20 distinct tiny articles"
expect_err "20 distinct" "train on 20 distinct tiny articles counts them"

# ---- the wrong kind of file: say what it is and what reads it (issue 11, item 11) ----
ap encode -o "$t/k.apr" "$t/b.jsonl" 2>/dev/null
ap encode -D "$t/d.dict" -o "$t/k.apz" "$t/b.jsonl" 2>/dev/null
wrong_kind() { # description expected-pattern-1 expected-pattern-2 args...
    desc=$1 p1=$2 p2=$3; shift 3
    rm -f "$t"/x.*
    run ap "$@"; expect_rc 1 "$desc"; expect_err "$p1" "$desc: says what the file is"; expect_err "$p2" "$desc: names what reads it"
    [ ! -s "$t/out.txt" ] && ok || bad "$desc: wrote output"
}
wrong_kind "decode of a bundle" "is an artpack bundle" "artpack unpack" decode "$t/b.apb"
wrong_kind "decode of a dictionary" "is a zstd dictionary" "-D DICT" decode "$t/d.dict"
wrong_kind "decode of JSON" "is JSON text" "artpack encode" decode "$t/b.jsonl"
wrong_kind "unpack of a record stream" "is an artpack record stream" "artpack decode" unpack "$t/k.apr"
wrong_kind "unpack of a compressed stream" "is an artpack compressed stream" "artpack decode" unpack -D "$t/d.dict" "$t/k.apz"
wrong_kind "ls of a dictionary" "is a zstd dictionary" "-D DICT" ls "$t/d.dict"
wrong_kind "get of a stream" "is an artpack record stream" "artpack decode" get "$t/k.apr" 0
wrong_kind "verify of JSON" "is JSON text" "artpack pack" verify "$t/b.jsonl"
wrong_kind "recover of a stream" "is an artpack compressed stream" "artpack decode" recover -o "$t/x.apb" "$t/k.apz"
wrong_kind "encode of a bundle" "is an artpack bundle, not JSON" "artpack unpack" encode -o "$t/x.apr" "$t/b.apb"
wrong_kind "pack of a record stream" "is an artpack record stream, not JSON" "artpack decode" pack -o "$t/x.apb" "$t/k.apr"
wrong_kind "train on a dictionary" "is a zstd dictionary, not JSON" "-D DICT" train -o "$t/x.dict" "$t/d.dict"
cp "$t/b.apb" "$t/k.apb"
wrong_kind "append of a bundle" "is an artpack bundle, not JSON" "artpack merge" append -D "$t/d.dict" "$t/k.apb" "$t/b.apb"
cmp -s "$t/k.apb" "$t/b.apb" && ok || bad "append of a bundle changed the target"
wrong_kind "-D given a bundle" "is an artpack bundle, not a dictionary" "dict extract" encode -D "$t/b.apb" -o "$t/x.apz" "$t/b.jsonl"
wrong_kind "-D given JSON" "is JSON text, not a dictionary" "artpack train" pack -D "$t/b.jsonl" -o "$t/x.apb" "$t/b.jsonl"
# the wrong dictionary: both IDs named, for streams and bundles alike
id_d=$(od -An -tu4 -j4 -N4 "$t/d.dict" | tr -d ' ') id_o=$(od -An -tu4 -j4 -N4 "$t/other.dict" | tr -d ' ')
for cmd in "decode $t/k.apz" "unpack $t/b.apb" "ls $t/b.apb" "get $t/b.apb 1" "verify $t/b.apb" "recover -o $t/x.apb $t/b.apb" "merge -o $t/x.apb $t/b.apb"; do
    rm -f "$t"/x.*
    # shellcheck disable=SC2086
    run ap ${cmd%% *} -D "$t/other.dict" ${cmd#* }; expect_rc 1 "${cmd%% *} with the wrong dictionary"
    expect_err "ID $id_d, but .*other.dict has ID $id_o" "${cmd%% *} with the wrong dictionary names both IDs"
done
rm -f "$t"/x.*
run ap merge -D "$t/d.dict" -o "$t/x.apb" "$t/b.apb" "$t/lz.apb"; expect_rc 1 "merge of different codecs"
expect_err "codec lz4" "merge names the codecs"; expect_err "dictionary ID $id_d" "merge names the dictionaries"

# ---- output onto a symbolic link, a device, a FIFO, a folder (issue 11, item 7) ----
# a link is not replaced without -f; with -f the file it points to is
# replaced (atomically, the temporary file beside it) and the link is kept
mkdir -p "$t/ln/sub"
cp "$t/k.apr" "$t/ln/sub/real.apr"
ln -s sub/real.apr "$t/ln/link.apr"
run ap encode -o "$t/ln/link.apr" "$t/test.jsonl"; expect_rc 1 "output onto a symbolic link without -f"
expect_err "symbolic link to .*real.apr; use -f" "a link: the message names it and -f"
cmp -s "$t/ln/sub/real.apr" "$t/k.apr" && ok || bad "a refused output changed the link's target"
run ap encode -f -o "$t/ln/link.apr" "$t/test.jsonl"; expect_rc 0 "output onto a symbolic link with -f"
[ -L "$t/ln/link.apr" ] && ok || bad "-f replaced the symbolic link itself"
ap decode "$t/ln/sub/real.apr" 2>/dev/null | python3 "$here/jsonl_same.py" "$t/test.jsonl" /dev/stdin >/dev/null && ok || bad "-f through a link: the target holds the new output"
[ -z "$(find "$t/ln" -name '*.tmp-*')" ] && ok || bad "-f through a link left a temporary file"
ln -s sub/missing.apr "$t/ln/dangling.apr"
run ap encode -o "$t/ln/dangling.apr" "$t/test.jsonl"; expect_rc 1 "output onto a dangling link without -f"
run ap encode -f -o "$t/ln/dangling.apr" "$t/test.jsonl"; expect_rc 0 "output onto a dangling link with -f"
[ -L "$t/ln/dangling.apr" ] && [ -s "$t/ln/sub/missing.apr" ] && ok || bad "-f through a dangling link: the link kept, its target created"
ln -s loop.apr "$t/ln/loop.apr"
run ap encode -f -o "$t/ln/loop.apr" "$t/test.jsonl"; expect_rc 1 "a loop of links"; expect_err "symbolic links" "a loop of links named"
run ap unpack -D "$t/d.dict" -o /dev/null "$t/b.apb"; expect_rc 0 "-o /dev/null without -f (a device is written as it is)"
[ -c /dev/null ] && ok || bad "-o /dev/null replaced the device"
run ap encode -f -o "$t/ln/sub" "$t/test.jsonl"; expect_rc 1 "output onto a folder"; expect_err "is a folder" "output onto a folder named"
mkfifo "$t/ln/fifo"
cat "$t/ln/fifo" >"$t/ln/fifo.out" & catpid=$!
run ap unpack -D "$t/d.dict" -o "$t/ln/fifo" "$t/b.apb"; expect_rc 0 "output into a FIFO"
[ "$rc" = 0 ] || : >"$t/ln/fifo" # the reader waits for a writer
wait "$catpid"
python3 "$here/jsonl_same.py" "$t/b.jsonl" "$t/ln/fifo.out" >/dev/null && ok || bad "output into a FIFO: every article"
[ -p "$t/ln/fifo" ] && ok || bad "output into a FIFO replaced it"

# wait_open FILE: until a process holds FILE open (Linux /proc; elsewhere a
# fixed 2 s), at most 120 s
wait_open() {
    if [ ! -d /proc/self/fd ]; then sleep 2; return 0; fi
    n=0
    while [ $n -lt 1200 ]; do
        find /proc/[0-9]*/fd -maxdepth 1 -lname "$1" 2>/dev/null | grep -q . && return 0
        sleep 0.1; n=$((n + 1))
    done
    return 1
}
# ---- an append notices a bundle changed under it by what takes no lock (issue 11, item 1) ----
# the append waits on a FIFO for its articles while the bundle is renamed over
# or written to; it must not commit, nor cut what another program wrote
python3 "$here/make-articles.py" 30 6 >"$t/more30.jsonl"
for how in rename write; do
    cp "$t/b.apb" "$t/ch.apb"; cp "$t/b.apb" "$t/ch2.apb"
    rm -f "$t/ch.fifo"; mkfifo "$t/ch.fifo"
    ap append -D "$t/d.dict" "$t/ch.apb" "$t/ch.fifo" >"$t/out.txt" 2>"$t/err.txt" & appid=$!
    # the change must come after the append opened the bundle (it then waits on
    # the FIFO): a fixed sleep was too short under valgrind on a slow machine
    wait_open "$t/ch.apb" || bad "append ($how) did not open the bundle within 120 s"
    if [ "$how" = rename ]; then mv "$t/ch2.apb" "$t/ch.apb"; else printf 'garbage' >>"$t/ch.apb"; fi
    cat "$t/more30.jsonl" >"$t/ch.fifo"
    wait "$appid"; rc=$?
    expect_rc 1 "append while the bundle is changed ($how)"
    if [ "$how" = rename ]; then
        expect_err "was replaced while appending" "append names the rename"
        cmp -s "$t/ch.apb" "$t/b.apb" && ok || bad "the file renamed over an append was changed"
    else
        expect_err "changed while appending" "append names the foreign write"
        [ "$(tail -c 7 "$t/ch.apb")" = garbage ] && ok || bad "append cut or overwrote what another program wrote"
    fi
done

# ---- zstd-style options; each command takes only its own (issue 11, conventions) ----
run ap ls --lz4 --id zz --block-size 4K "$t/b.apb"; expect_rc 1 "ls --lz4 --id --block-size refused"
expect_err "ls does not take --lz4" "ls names the option it does not take"
for bad_opt in "encode --id x" "decode --lz4" "decode -3" "train -D $t/d.dict" "get --range 1-2" "verify -o $t/x.out" \
               "append -o $t/x.apb" "merge --lz4" "unpack --no-check" "info --train" "ls -T 2" "recover --json"; do
    # shellcheck disable=SC2086
    run ap $bad_opt "$t/b.apb"; expect_rc 1 "$bad_opt refused"; expect_err "does not take" "$bad_opt: says which option"
done
run ap encode -k "$t/b.jsonl"; expect_rc 1 "-k is no longer keep-going"; expect_err "keep-going" "-k points to --keep-going"
run ap encode --keep-going=yes "$t/b.jsonl"; expect_rc 1 "a flag with a value"; expect_err "takes no value" "a flag with a value named"
run ap encode -qf -o "$t/seed.apr" "$seed"; expect_rc 0 "combined short flags -qf"
run ap encode --output="$t/eq.apr" "$seed"; expect_rc 0 "--output=FILE"; cmp -s "$t/eq.apr" "$t/seed.apr" && ok || bad "--output=FILE wrote elsewhere"
run ap encode -o"$t/att.apr" "$seed"; expect_rc 0 "-oFILE"; cmp -s "$t/att.apr" "$t/seed.apr" && ok || bad "-oFILE wrote elsewhere"
run ap encode -qfo "$t/att.apr" "$seed"; expect_rc 0 "-qfo FILE"
for dopt in "--dict $t/d.dict" "--dict=$t/d.dict" "-D$t/d.dict" "-D $t/d.dict"; do
    # shellcheck disable=SC2086
    run ap unpack $dopt -o "$t/dopt.out" -f "$t/b.apb"; expect_rc 0 "unpack $dopt"
done
run ap pack --block-size=8K --dict="$t/d.dict" -T2 -f -o "$t/eq.apb" "$t/b.jsonl"; expect_rc 0 "--block-size=8K --dict= -T2"
cmp -s "$t/eq.apb" "$t/b.apb" && ok || bad "--opt=value gives the same bundle as --opt value"
run ap pack --threads 1 --block-size 8K -D "$t/d.dict" -f -o "$t/eq.apb" "$t/b.jsonl"; expect_rc 0 "--threads 1"
ap encode -c "$seed" >"$t/c.apr" 2>"$t/err.txt" && cmp -s "$t/c.apr" "$t/seed.apr" && ok || bad "-c writes to standard output"
ap encode --stdout "$seed" >"$t/c.apr" 2>"$t/err.txt" && cmp -s "$t/c.apr" "$t/seed.apr" && ok || bad "--stdout writes to standard output"
run ap encode -c -o "$t/x.apr" "$seed"; expect_rc 1 "-c with -o FILE"
cp "$seed" "$t/-x.jsonl"
abs_artpack=$(cd "$(dirname "$ARTPACK")" && pwd)/$(basename "$ARTPACK")
(cd "$t" && $WRAP "$abs_artpack" encode -f -o dash.apr -- -x.jsonl) >"$t/out.txt" 2>"$t/err.txt" && cmp -s "$t/dash.apr" "$t/seed.apr" && ok || bad "-- ends the options: $(cat "$t/err.txt")"
run ap encode --help; expect_rc 0 "encode --help"; grep -q "^Usage: artpack encode" "$t/out.txt" && ok || bad "encode --help: its usage"
grep -q -- "--no-check" "$t/out.txt" && ! grep -q -- "--train" "$t/out.txt" && ok || bad "encode --help lists its options only"
ap help pack >"$t/h1.txt" 2>&1; ap pack --help >"$t/h2.txt" 2>&1; cmp -s "$t/h1.txt" "$t/h2.txt" && ok || bad "help pack = pack --help"
run ap help frobnicate; expect_rc 1 "help of an unknown command"
run ap --help; for cmd in encode decode train pack unpack get ls append verify recover merge info dict help version; do
    grep -q "^  $cmd " "$t/out.txt" && ok || bad "--help lists $cmd"
done
[ "$(awk 'length > 79' "$t/out.txt" | wc -l)" = 0 ] && ok || bad "--help has lines over 79 columns"

# ---- standard input wherever a FILE can be missing (issue 11, item 6) ----
run ap decode <"$t/seed.apr"; expect_rc 0 "decode < FILE"
run ap pack -D "$t/d.dict" --block-size 8K -o "$t/in.apb" <"$t/b.jsonl"; expect_rc 0 "pack < FILE"
cmp -s "$t/in.apb" "$t/b.apb" && ok || bad "pack < FILE: the same bundle"
run ap train --size 8K -o "$t/in.dict" <"$t/train.jsonl"; expect_rc 0 "train < FILE"
cmp -s "$t/in.dict" "$t/d.dict" && ok || bad "train < FILE: the same dictionary"
for cmd in unpack ls verify info; do
    ap $cmd -D "$t/d.dict" "$t/b.apb" >"$t/want.txt" 2>/dev/null
    run ap $cmd -D "$t/d.dict" <"$t/b.apb"; expect_rc 0 "$cmd < BUNDLE"
    sed -e 's/^file: .*//' -e 's/^[^:]*: OK:/OK:/' "$t/out.txt" >"$t/got.txt"
    sed -e 's/^file: .*//' -e 's/^[^:]*: OK:/OK:/' "$t/want.txt" >"$t/want2.txt"
    cmp -s "$t/got.txt" "$t/want2.txt" && ok || bad "$cmd < BUNDLE: the same output"
    cat "$t/b.apb" | ap $cmd -D "$t/d.dict" >"$t/out.txt" 2>"$t/err.txt"; rc=$?
    expect_rc 0 "$cmd from a pipe (spooled)"
done
run ap get -D "$t/d.dict" - 7 <"$t/b.apb"; expect_rc 0 "get - N < BUNDLE"
run ap recover -D "$t/d.dict" -o "$t/in-rec.apb" <"$t/b.apb"; expect_rc 0 "recover < BUNDLE"
cp "$t/b.apb" "$t/in-app.apb"
run ap append -D "$t/d.dict" "$t/in-app.apb" <"$t/more.jsonl"; expect_rc 0 "append BUNDLE < FILE"
[ "$(ap ls -D "$t/d.dict" "$t/in-app.apb" | wc -l)" = 231 ] && ok || bad "append BUNDLE < FILE: 230 articles"
run ap append -D "$t/d.dict" - "$t/more.jsonl" <"$t/b.apb"; expect_rc 1 "append to standard input refused"

# ---- reading subsets; info; dict extract; duplicate ids; progress (issue 11, features) ----
run ap get -D "$t/d.dict" "$t/b.apb" 5 9-12 198-; expect_rc 0 "get N A-B A-"
sed -n '6p;10,13p;199,200p' "$t/b.jsonl" >"$t/want.jsonl"
python3 "$here/jsonl_same.py" "$t/want.jsonl" "$t/out.txt" >/dev/null && ok || bad "get 5 9-12 198-: articles 5, 9 to 12, 198, 199"
run ap get -D "$t/d.dict" "$t/b.apb" 12-9; expect_rc 1 "get of a backward range"
run ap get -D "$t/d.dict" "$t/b.apb" 199-200; expect_rc 1 "get past the end"; expect_err "no article 200" "get past the end names it"
run ap unpack -D "$t/d.dict" --range 10-19 "$t/b.apb"; expect_rc 0 "unpack --range 10-19"
sed -n '11,20p' "$t/b.jsonl" >"$t/want.jsonl"
python3 "$here/jsonl_same.py" "$t/want.jsonl" "$t/out.txt" >/dev/null && ok || bad "unpack --range 10-19: articles 10 to 19"
run ap unpack -D "$t/d.dict" --range=195- "$t/b.apb"; expect_rc 0 "unpack --range=195-"
[ "$(wc -l <"$t/out.txt")" = 5 ] && ok || bad "unpack --range 195-: 5 articles"
run ap unpack -D "$t/d.dict" --range 300 "$t/b.apb"; expect_rc 1 "unpack --range past the end"
run ap ls --json -D "$t/d.dict" "$t/b.apb"; expect_rc 0 "ls --json"
python3 - "$t/out.txt" "$t/b.jsonl" <<'PY' && ok || bad "ls --json: one object per article with n, id, date, title, record_bytes, block"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
orig = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert len(rows) == len(orig) == 200
for i, (r, o) in enumerate(zip(rows, orig)):
    assert r["n"] == i and r["id"] == o["id"] and r["title"] == o.get("title"), r
    assert r["record_bytes"] > 0 and r["block"] >= 0
PY
run ap ls --json --range 3-3 -D "$t/d.dict" "$t/b.apb"; grep -q '^{"n":3,"id":"synthetic-5-3",' "$t/out.txt" && ok || bad "ls --json --range 3-3"
# ls names each article's block from the walk, which holds a similarity
# window's blocks: the line of article n (block included) is what ls of
# that article alone says, where the reader locates it afresh
ap ls -D "$t/d.dict" "$t/b.apb" >"$t/ls-all.txt"
lsbad=0
for n in $(seq 0 7 199); do
    [ "$(ap ls -D "$t/d.dict" --range "$n-$n" "$t/b.apb" | sed -n 2p)" = "$(sed -n "$((n + 2))p" "$t/ls-all.txt")" ] || lsbad=$((lsbad + 1))
done
[ $lsbad = 0 ] && [ "$(awk -F'\t' 'NR > 1 {print $NF}' "$t/ls-all.txt" | sort -u | wc -l)" -ge 30 ] && ok || bad "ls: each article's line and block as ls of it alone says ($lsbad differ)"
run ap info "$t/b.apb"; expect_rc 0 "info of a bundle (no -D needed)"
grep -q "^articles: *200$" "$t/out.txt" && grep -q "^kind: *bundle$" "$t/out.txt" && ok || bad "info: kind and articles"
run ap info --json -v -D "$t/d.dict" "$t/b.apb"; expect_rc 0 "info --json -v"
# the blocks: as many as ls names (pack assigns articles to blocks by similarity)
nblocks=$(ap ls -D "$t/d.dict" "$t/b.apb" | awk -F'\t' 'NR > 1 {print $NF}' | sort -u | wc -l)
python3 - "$t/out.txt" "$id_d" "$nblocks" <<'PY' && ok || bad "info --json: the bundle's facts"
import json, sys
i = json.load(open(sys.argv[1]))
assert int(sys.argv[3]) >= 30 and i["blocks"] == int(sys.argv[3])
assert i["kind"] == "bundle" and i["articles"] == 200 and i["codec"] == "zstd"
assert i["dict_id"] == int(sys.argv[2]) and i["commits"] == 1 and i["format_version"] == 3
assert i["record_bytes"] > i["bytes"] and i["ratio"] > 1 and i["damaged_blocks"] == 0
PY
run ap info --json "$t/a.apb"; python3 -c 'import json,sys; i=json.load(open(sys.argv[1])); sys.exit(0 if i["commits"] == 2 and i["articles"] == 230 else 1)' "$t/out.txt" && ok || bad "info: an appended bundle has 2 commits"
run ap info --json "$t/k.apz"; python3 -c 'import json,sys; i=json.load(open(sys.argv[1])); sys.exit(0 if i["kind"] == "compressed stream" and i["articles"] == 200 and i["ratio"] > 1 else 1)' "$t/out.txt" && ok || bad "info of a compressed stream"
run ap info "$t/d.dict"; grep -q "^dict_id: *$id_d$" "$t/out.txt" && ok || bad "info of a dictionary: its ID"
run ap info "$t/b.jsonl"; expect_rc 0 "info of JSON"; grep -q "JSON text" "$t/out.txt" && ok || bad "info of JSON says so"
run ap info "$t/junk.apr"; expect_rc 1 "info of junk"
run ap pack --train --size 8K -o "$t/emb.apb" "$t/b.jsonl"; expect_rc 0 "pack --train (embedded dictionary)"
run ap dict extract "$t/emb.apb" -o "$t/ex.dict"; expect_rc 0 "dict extract"
id_e=$(od -An -tu4 -j4 -N4 "$t/ex.dict" | tr -d ' ')
ap info "$t/emb.apb" | grep -q "^dict_id: *$id_e$" && ok || bad "dict extract: the embedded dictionary's ID"
run ap unpack -D "$t/ex.dict" -o "$t/ex.out" "$t/emb.apb"; expect_rc 0 "the extracted dictionary reads the bundle"
run ap recover -o "$t/emb-rec.apb" "$t/emb.apb"; expect_rc 0 "recover of a bundle that embeds its dictionary, without -D"
cmp -s "$t/emb-rec.apb" "$t/emb.apb" && ok || bad "recover of an intact bundle gives its bytes back (same settings, same dictionary)"
run ap dict extract "$t/b.apb" -o "$t/x.dict"; expect_rc 1 "dict extract of a named dictionary"; expect_err "does not embed" "dict extract: names, not embeds"
run ap dict frob "$t/b.apb"; expect_rc 1 "dict: unknown subcommand"
head -3 "$t/b.jsonl" >"$t/dup.jsonl"; head -1 "$t/b.jsonl" >>"$t/dup.jsonl"
run ap pack -D "$t/d.dict" -o "$t/dup.apb" "$t/dup.jsonl"; expect_rc 0 "pack of a duplicate id: a warning"
expect_err 'id "synthetic-5-0" is the id of an article read before' "pack warns of a duplicate id"
run ap pack --unique -D "$t/d.dict" -o "$t/dup2.apb" "$t/dup.jsonl"; expect_rc 1 "pack --unique refuses a duplicate id"
[ ! -e "$t/dup2.apb" ] && ok || bad "pack --unique wrote a bundle"
cp "$t/b.apb" "$t/dup.apb"
run ap append --unique -D "$t/d.dict" "$t/dup.apb" "$t/more.jsonl" "$t/dup.jsonl"; expect_rc 1 "append --unique of an id in the bundle"
expect_err "is already in the bundle (article 0)" "append --unique names the article"
cmp -s "$t/dup.apb" "$t/b.apb" && ok || bad "append --unique changed the bundle"
# the duplicate-id check in bounded memory (its ids sorted in runs of 32,768 in
# temporary files): 150,000 tiny articles, two ids repeated far apart, an id
# repeated three times, every other id once
python3 - "$t/many.jsonl" "$t/uniq.jsonl" <<'PY'
import sys
with open(sys.argv[1], "w") as f, open(sys.argv[2], "w") as g:
    for i in range(150000):
        n = {149999: 3, 100000: 77777, 120000: 77777}.get(i, i)
        f.write('{"id":"many-%06d","title":"x"}\n' % n)
        g.write('{"id":"u-%d","title":"x"}\n' % i)
PY
run ap pack -D "$t/d.dict" -o "$t/many.apb" "$t/many.jsonl"; expect_rc 0 "pack of 150,000 articles with 3 repeated ids"
grep -c "is the id of an article read before" "$t/err.txt" | grep -qx 3 && ok || bad "pack: exactly 3 repeats reported: $(head -c 400 "$t/err.txt")"
grep -q 'article 100001 read: id "many-077777" is the id of an article read before (article 77778 read)' "$t/err.txt" && ok || bad "pack names a repeat and its first"
grep -q 'article 120001 read: id "many-077777" .*(article 77778 read)' "$t/err.txt" && ok || bad "pack: a third occurrence names the first"
grep -q 'article 150000 read: id "many-000003" .*(article 4 read)' "$t/err.txt" && ok || bad "pack: a repeat 149,996 articles apart"
[ "$(grep -n 'read before' "$t/err.txt" | cut -d: -f1 | tr '\n' ' ')" = "1 2 3 " ] && grep -q "3 articles with an id seen before" "$t/err.txt" && ok || bad "pack: repeats in the order read, then the count"
run ap pack --unique -D "$t/d.dict" -o "$t/many2.apb" "$t/many.jsonl"; expect_rc 1 "pack --unique of 150,000 articles with repeats"
expect_err 'article 100001 read: .*(--unique: nothing written)' "pack --unique names the first repeat"
[ ! -e "$t/many2.apb" ] && ok || bad "pack --unique of many articles wrote a bundle"
run ap pack -q -D "$t/d.dict" -o "$t/many3.apb" "$t/many.jsonl"; expect_rc 0 "pack -q with repeats"; [ ! -s "$t/err.txt" ] && ok || bad "pack -q says nothing of repeats"
run ap pack -D "$t/d.dict" -o "$t/uniq.apb" "$t/uniq.jsonl"; expect_rc 0 "pack of 150,000 distinct ids"; [ ! -s "$t/err.txt" ] && ok || bad "pack of distinct ids warns: $(head -c 300 "$t/err.txt")"
# (valgrind, when it wraps, runs env: it needs a temporary folder for itself)
run $WRAP env TMPDIR="$t/no-such-dir" "$ARTPACK" pack -D "$t/d.dict" -o "$t/many4.apb" "$t/many.jsonl"; expect_rc 1 "pack with no temporary folder for the id check"
expect_err "temporary file for the duplicate-id check" "the id check's temporary file named"; [ ! -e "$t/many4.apb" ] && ok || bad "a failed id check wrote a bundle"
cp "$t/uniq.apb" "$t/uniq2.apb"
run ap append -D "$t/d.dict" "$t/uniq2.apb" "$t/many.jsonl"; expect_rc 0 "append of 150,000 articles with repeats"
grep -c "is the id of an article read before" "$t/err.txt" | grep -qx 3 && ok || bad "append: the input's 3 repeats reported"
if [ -z "$WRAP" ]; then
    run ap encode --progress -19 -D "$t/d.dict" -o "$t/prog.apz" "$t/big.jsonl"; expect_rc 0 "encode --progress"
    grep -q "artpack: encode: [0-9]* articles" "$t/err.txt" && ok || bad "encode --progress shows progress"
    run ap unpack --progress -D "$t/d.dict" -o "$t/prog.out" "$t/sig.apb"
    run ap encode -19 -D "$t/d.dict" -f -o "$t/prog.apz" "$t/big.jsonl"
    [ ! -s "$t/err.txt" ] && ok || bad "no progress when standard error is not a terminal"
    if command -v script >/dev/null 2>&1; then # a terminal: script(1) gives one
        script -qec "$ARTPACK encode -19 -D $t/d.dict -f -o $t/prog.apz $t/big.jsonl" /dev/null >"$t/tty.txt" 2>&1 </dev/null
        grep -q "artpack: encode: [0-9]* articles" "$t/tty.txt" && ok || bad "progress on a terminal by default"
        script -qec "$ARTPACK encode -q -19 -D $t/d.dict -f -o $t/prog.apz $t/big.jsonl" /dev/null >"$t/tty.txt" 2>&1 </dev/null
        ! grep -q "artpack: encode:" "$t/tty.txt" && ok || bad "-q: no progress on a terminal"
        script -qec "$ARTPACK unpack -D $t/d.dict" /dev/null >"$t/tty.txt" 2>&1 </dev/null
        grep -q "will not read from a terminal" "$t/tty.txt" && ok || bad "a terminal is not read as standard input"
    fi
fi

# ---- the man page says what --help says (docs/artpack.1) ----
man1=$here/../docs/artpack.1
if [ -f "$man1" ]; then
    ap --help >"$t/help.txt" 2>/dev/null
    sed 's/\\-/-/g' "$man1" >"$t/man.txt"
    for opt in $(grep -o -- '--[a-z][a-z0-9-]*' "$t/help.txt" | sort -u); do
        grep -q -- "$opt\b" "$t/man.txt" && ok || bad "docs/artpack.1 lacks $opt (in --help)"
    done
    for opt in $(grep -o -- '--[a-z][a-z0-9-]*' "$t/man.txt" | sort -u); do
        grep -q -- "$opt\b" "$t/help.txt" && ok || bad "docs/artpack.1 has $opt, which --help lacks"
    done
    for cmd in $(sed -n 's/^  \([a-z][a-z]*\) .*/\1/p; s/^  \([a-z][a-z]*\)$/\1/p' "$t/help.txt" | sort -u); do
        grep -Eq "^\.BR? \"?$cmd( |\"|$)" "$t/man.txt" && ok || bad "docs/artpack.1 lacks the command $cmd"
    done
    for s in $(grep -o -- ' -[a-zA-Z],' "$t/help.txt" | tr -d ' ,' | sort -u); do
        grep -q -- "^\.BR $s\b" "$t/man.txt" && ok || bad "docs/artpack.1 lacks $s"
    done
    # it installs
    make -s -o all -C "$here/.." install B="$(cd "$(dirname "$ARTPACK")" && pwd)" DESTDIR="$t/inst" PREFIX=/usr >/dev/null 2>&1 &&
        [ -f "$t/inst/usr/share/man/man1/artpack.1" ] && ok || bad "make install does not install the man page"
fi

# ---- signals at random moments: pack, encode, append, merge (issue 11, item 2's acceptance) ----
# no temporary file remains; the target is absent (or, for append, as it was)
# or complete
if [ -z "$WRAP" ]; then
    ap pack -f -3 -D "$t/d.dict" --block-size 64K -o "$t/sig-base.apb" "$t/big.jsonl" 2>/dev/null
    base_n=$(ap info --json "$t/sig-base.apb" | python3 -c 'import json,sys; print(json.load(sys.stdin)["articles"])')
    sigbad=0
    for cmd in pack encode append merge; do
        for k in $(seq 1 20); do
            sig=$(echo INT TERM HUP | cut -d' ' -f$((k % 3 + 1)))
            delay=$(python3 -c "import random; print(round(random.uniform(0, 0.4), 3))")
            rm -f "$t/sig.out"
            case $cmd in
                pack) set -- pack -19 -D "$t/d.dict" -o "$t/sig.out" "$t/big.jsonl" ;;
                encode) set -- encode -19 -D "$t/d.dict" -o "$t/sig.out" "$t/big.jsonl" ;;
                append) cp "$t/sig-base.apb" "$t/sig.out"; set -- append -D "$t/d.dict" "$t/sig.out" "$t/big.jsonl" ;;
                merge) set -- merge -D "$t/d.dict" -o "$t/sig.out" "$t/sig-base.apb" "$t/sig-base.apb" "$t/sig-base.apb" ;;
            esac
            "$ARTPACK" "$@" 2>"$t/sig.err" & p=$!
            sleep "$delay"; kill -s "$sig" "$p" 2>/dev/null; wait "$p"; s=$?
            left=$(ls "$t" | grep -c 'sig.out.tmp-' || true)
            state=bad
            if [ "$left" = 0 ]; then
                # a signal that lands after the commit point (the rename, or
                # append's footer) and before the exit leaves a complete
                # target with a status of 128+N: that is allowed too
                case $cmd in
                    encode) if [ $s -ge 128 ] && [ ! -e "$t/sig.out" ]; then state=absent
                            elif { [ $s = 0 ] || [ $s -ge 128 ]; } && [ "$(ap decode -D "$t/d.dict" "$t/sig.out" 2>/dev/null | wc -l)" = 20000 ]; then state=complete; fi ;;
                    append) n=$(ap info --json "$t/sig.out" 2>/dev/null | python3 -c 'import json,sys; i=json.load(sys.stdin); print(i["articles"] if i["uncommitted_bytes"] == 0 else -1)' 2>/dev/null)
                            if [ $s -ge 128 ] && cmp -s "$t/sig.out" "$t/sig-base.apb"; then state=unchanged
                            elif { [ $s = 0 ] || [ $s -ge 128 ]; } && [ "$n" = $((base_n + 20000)) ] && ap verify -q -D "$t/d.dict" "$t/sig.out"; then state=complete; fi ;;
                    *) if [ $s -ge 128 ] && [ ! -e "$t/sig.out" ]; then state=absent
                       elif { [ $s = 0 ] || [ $s -ge 128 ]; } && ap verify -q -D "$t/d.dict" "$t/sig.out"; then state=complete; fi ;;
                esac
            fi
            if [ "$state" = bad ]; then
                sigbad=1; bad "SIG$sig after ${delay}s of $cmd: status $s, $left temporary files left, the target neither as it was nor complete: $(head -c 300 "$t/sig.err") $(ls -la "$t/sig.out" 2>&1)"
            fi
        done
    done
    [ "$sigbad" = 0 ] && ok
fi

# ---- CM bundles: pack --cm -D MODEL and every bundle command on them ----
run ap train --cm -1 --size 8K -o "$t/m.cm" "$t/train.jsonl"; expect_rc 0 "train --cm -1"
head -n 30 "$t/test.jsonl" >"$t/cm1.jsonl"; tail -n +31 "$t/test.jsonl" >"$t/cm2.jsonl"
ap pack --stored -o "$t/cm-ref.apb" "$t/test.jsonl" 2>/dev/null && ap unpack -o "$t/cm-ref.out" "$t/cm-ref.apb" 2>/dev/null
run ap pack --cm -D "$t/m.cm" -o "$t/cm.apb" "$t/cm1.jsonl"; expect_rc 0 "pack --cm -D MODEL"
run ap append -D "$t/m.cm" "$t/cm.apb" "$t/cm2.jsonl"; expect_rc 0 "append to a CM bundle"
run ap unpack -D "$t/m.cm" -o "$t/cm.out" "$t/cm.apb"; expect_rc 0 "unpack of a CM bundle"
cmp -s "$t/cm.out" "$t/cm-ref.out" && ok || bad "pack --cm + append, unpack: the articles as packed"
run ap info "$t/cm.apb"; grep -q "^codec: *cm" "$t/out.txt" && grep -q "^level: *1" "$t/out.txt" && grep -q "^block_size: *16384" "$t/out.txt" && ok || bad "info of a CM bundle: codec cm, the model's level, 16 KB blocks: $(cat "$t/out.txt")"
run ap verify -D "$t/m.cm" "$t/cm.apb"; expect_rc 0 "verify of a CM bundle"
run ap get -D "$t/m.cm" "$t/cm.apb" 40; expect_rc 0 "get of a CM bundle"
sed -n 41p "$t/cm-ref.out" | cmp -s - "$t/out.txt" && ok || bad "get 40 of a CM bundle"
run ap ls -D "$t/m.cm" "$t/cm.apb"; expect_rc 0 "ls of a CM bundle"
run ap pack --cm -D "$t/m.cm" --embed-dict -o "$t/cm-e.apb" "$t/cm1.jsonl"; expect_rc 0 "pack --cm --embed-dict"
run ap merge -o "$t/cm-m.apb" "$t/cm-e.apb" "$t/cm.apb"; expect_rc 1 "merge of CM bundles with the model embedded in one only"
run ap pack --cm -D "$t/m.cm" -o "$t/cm2.apb" "$t/cm2.jsonl"; expect_rc 0 "pack --cm of the rest"
run ap pack --cm -D "$t/m.cm" -o "$t/cm1.apb" "$t/cm1.jsonl"; expect_rc 0 "pack --cm of the first part"
run ap merge -D "$t/m.cm" -o "$t/cm-m.apb" "$t/cm1.apb" "$t/cm2.apb"; expect_rc 0 "merge of CM bundles"
ap unpack -D "$t/m.cm" "$t/cm-m.apb" 2>/dev/null | cmp -s - "$t/cm-ref.out" && ok || bad "merge of CM bundles: the articles"
run ap recover -o "$t/cm-r.apb" "$t/cm-e.apb"; expect_rc 0 "recover of a CM bundle (embedded model)"
ap unpack "$t/cm-r.apb" 2>/dev/null | cmp -s - "$(head -n 30 "$t/cm-ref.out" >"$t/cm-ref1.out"; echo "$t/cm-ref1.out")" && ok || bad "recover of a CM bundle: the articles"
run ap pack --cm -D "$t/d.dict" -o "$t/x.apb" "$t/cm1.jsonl"; expect_rc 1 "pack --cm with a zstd dictionary"; expect_err "ARTPACK_E_MODEL" "pack --cm with a zstd dictionary: not a model"
run ap pack --cm -2 -D "$t/m.cm" -o "$t/x.apb" "$t/cm1.jsonl"; expect_rc 1 "pack --cm at another level than the model's"; expect_err "ARTPACK_E_MODEL_LEVEL" "pack --cm -2 with a level-1 model named"
run ap pack -D "$t/m.cm" -o "$t/x.apb" "$t/cm1.jsonl"; expect_rc 1 "pack (zstd) with a CM model"
run ap get "$t/cm.apb" 1; expect_rc 1 "get of a CM bundle without its model"; expect_err "ARTPACK_E_NEED_DICT" "get without the model named"

# ---- every exit status is 0 or 1, whatever the bytes ----
rounds=200; [ -n "$WRAP" ] && rounds=40 # slow under valgrind
for i in $(seq 1 "$rounds"); do
    head -c $((i * 7)) /dev/urandom >"$t/rand.bin"
    ap decode "$t/rand.bin" >/dev/null 2>&1; s=$?
    ap encode -f "$t/rand.bin" >/dev/null 2>&1; s2=$?
    if [ $s -gt 1 ] || [ $s2 -gt 1 ]; then bad "random input gave status $s / $s2"; break; fi
done
ok

echo "cli.sh: $((count - fails)) of $count checks passed"
[ "$fails" = 0 ]
