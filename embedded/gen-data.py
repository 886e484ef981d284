#!/usr/bin/env python3
"""gen-data.py OUT.c RECORDS.apr [BUNDLE DICT [STREAM]] - the firmware's test data as C.

RECORDS.apr is an `artpack encode` record stream of the same articles, in the
same order, as the bundle: it gives each record's FNV-1a hash (and, without a
bundle, the records themselves). STREAM: a compressed stream of the same
articles (`artpack encode -D DICT`, with the word transform), decoded too. The arrays go to the .testdata section."""
import sys


def varint(d, p):
    v = s = 0
    while True:
        b = d[p]
        p += 1
        v |= (b & 0x7F) << s
        s += 7
        if b < 0x80:
            return v, p


def fnv(b):
    h = 2166136261
    for c in b:
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h


def array(name, data, ctype="unsigned char"):
    out = [f"const {ctype} {name}[] __attribute__((section(\".testdata\"), aligned(8))) = {{"]
    for i in range(0, len(data), 16):
        out.append("    " + ", ".join(str(x) for x in data[i:i + 16]) + ",")
    out.append("};")
    return "\n".join(out)


def main():
    out, stream = sys.argv[1], open(sys.argv[2], "rb").read()
    recs, p = [], 5
    while p < len(stream):
        n, p = varint(stream, p)
        recs.append(stream[p:p + n])
        p += n
    c = ['#include <stdint.h>', '#include "fw_data.h"']
    c.append(array("fw_hash", [fnv(r) for r in recs], "uint32_t"))
    c.append(f"const unsigned fw_count = {len(recs)};")
    if len(sys.argv) > 3:
        bundle, dic = open(sys.argv[3], "rb").read(), open(sys.argv[4], "rb").read()
        c.append(array("fw_bundle", bundle))
        c.append(f"const unsigned fw_bundle_size = {len(bundle)};")
        c.append(array("fw_dict", dic))
        c.append(f"const unsigned fw_dict_size = {len(dic)};")
        zs = open(sys.argv[5], "rb").read() if len(sys.argv) > 5 else b"\0"
        c.append(array("fw_stream", zs))
        c.append(f"const unsigned fw_stream_size = {len(zs) if len(sys.argv) > 5 else 0};")
    else:
        offs, pos = [], 0
        for r in recs:
            offs.append(pos)
            pos += len(r)
        c.append(array("fw_records", b"".join(recs)))
        c.append(array("fw_record_off", offs, "uint32_t"))
        c.append(array("fw_record_len", [len(r) for r in recs], "uint32_t"))
    open(out, "w").write("\n".join(c) + "\n")


if __name__ == "__main__":
    main()
