#!/bin/sh
# The library may call nothing outside itself but a few pure libc functions:
# no malloc/free, no stdio, no exit/abort, no getenv (checked with nm).
set -eu
lib=${1:?usage: check-symbols.sh libartpack.a}
allowed='memcmp memcpy memmove memset strlen'
defined=$(nm -g --defined-only "$lib" 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u)
bad=0
for sym in $(nm -u "$lib" | awk '{print $2}' | sort -u); do
    case " $allowed " in *" $sym "*) continue ;; esac
    if printf '%s\n' "$defined" | grep -qx "$sym"; then continue; fi
    echo "check-symbols: codec/ calls $sym (not allowed in the library)" >&2
    bad=1
done
[ "$bad" = 0 ] && echo "check-symbols: $lib calls only: $allowed (or itself)"
exit $bad
