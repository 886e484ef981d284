#!/bin/sh
# What codec/ may call outside itself: a few pure libc functions and its
# codec libraries (zstd, LZ4). No stdio, no exit/abort, no getenv; malloc and
# free only in alloc.o, the default allocator (left out by ARTPACK_NO_ALLOC).
set -eu
lib=${1:?usage: check-symbols.sh libartpack.a}
allowed='bcmp memchr memcmp memcpy memmove memset strchr strlen'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -g --defined-only "$lib" 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u >"$tmp/defined"
nm -u -A "$lib" | sed 's/^[^:]*://' | awk '{print $1, $3}' | sed 's/: / /' >"$tmp/undef"
bad=0
while read -r obj sym; do
    obj=${obj%:}
    case " $allowed " in *" $sym "*) continue ;; esac
    case "$sym" in ZSTD_*|ZDICT_*|LZ4_*) continue ;; esac
    if [ "$obj" = alloc.o ] && { [ "$sym" = malloc ] || [ "$sym" = free ]; }; then continue; fi
    if grep -qx "$sym" "$tmp/defined"; then continue; fi
    echo "check-symbols: $obj calls $sym (not allowed in the library)" >&2
    bad=1
done <"$tmp/undef"
[ "$bad" = 0 ] && echo "check-symbols: $lib calls only $allowed, zstd/LZ4, and malloc/free in alloc.o"
exit $bad
