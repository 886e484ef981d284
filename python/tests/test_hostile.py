"""Hostile bytes: unpack, decompress and Bundle raise artpack.Error (or give
a valid article), never crash, hang or raise anything else. A few thousand
hypothesis cases in CI (ARTPACK_HYPOTHESIS_SCALE=N for N times more)."""
import os
import tempfile

import artpack
import pytest
from conftest import ODD_ARTICLES, examples
from hypothesis import given
from hypothesis import strategies as st

DICT_SAMPLES = [dict(a, id="s%d" % i, title="T %d %s" % (i, "w" * (i % 13)))
                for i in range(200) for a in ODD_ARTICLES[:1]]
DICTIONARY = artpack.train(DICT_SAMPLES, size=8192)
RECORDS = [artpack.pack(a) for a in ODD_ARTICLES]
FRAMES = ([artpack.compress(a, level=3) for a in ODD_ARTICLES]
          + [artpack.compress(a, DICTIONARY, level=3) for a in ODD_ARTICLES]
          + [artpack.compress(a, DICTIONARY, codec="lz4") for a in ODD_ARTICLES]
          + [artpack.compress(a, codec="stored") for a in ODD_ARTICLES])


def _bundle_bytes(**kw):
    fd, p = tempfile.mkstemp(suffix=".apb")
    os.close(fd)
    try:
        with artpack.BundleWriter(p, **kw) as w:
            w.extend(ODD_ARTICLES * 4)
        with open(p, "rb") as f:
            return f.read()
    finally:
        os.unlink(p)


# columnar (zstd's default) and rows
BUNDLES = [_bundle_bytes(level=1, block_size=256),
           _bundle_bytes(level=1, block_size=256, columns=False),
           _bundle_bytes(dictionary=DICTIONARY, embed_dictionary=True, level=1, block_size=512),
           _bundle_bytes(codec="lz4", block_size=300)]


@st.composite
def mutated(draw, seeds):
    """A seed with a few bytes changed, inserted, deleted, or cut short."""
    b = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "cut"]))
        if not b:
            break
        i = draw(st.integers(0, len(b) - 1))
        if op == "flip":
            b[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            b[i] = draw(st.integers(0, 255))
        elif op == "insert":
            b[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del b[i:i + draw(st.integers(1, 8))]
        else:
            del b[i:]
    return bytes(b)


def _unpack_ok(data):
    try:
        a = artpack.unpack(data)
    except artpack.Error as e:
        assert e.name is None or e.name.startswith("ARTPACK_E_")
        return
    assert isinstance(a, dict)
    # (fields of a later minor version are skipped, so the bytes may differ)
    try:
        again = artpack.pack(a)
    except artpack.ArticleError:
        # a number JSON can write but Python cannot hold (1E400 -> inf):
        # json.loads gives an infinity, which no JSON text can carry back
        assert _has_non_finite(a), a
        return
    assert artpack.unpack(again) == a


def _has_non_finite(v):
    if isinstance(v, float):
        return v != v or v in (float("inf"), float("-inf"))
    if isinstance(v, dict):
        return any(_has_non_finite(x) for x in v.values())
    if isinstance(v, list):
        return any(_has_non_finite(x) for x in v)
    return False


@given(st.binary(max_size=200) | mutated(RECORDS))
@examples(2000)
def test_unpack_hostile(data):
    _unpack_ok(data)


@given(st.binary(max_size=200) | mutated(FRAMES), st.booleans())
@examples(2000)
def test_decompress_hostile(data, with_dict):
    try:
        a = artpack.decompress(data, DICTIONARY if with_dict else None)
    except artpack.Error:
        return
    assert isinstance(a, dict)


def _read_all(path, dictionary=None):
    try:
        b = artpack.Bundle(path, dictionary)
    except artpack.Error:
        return
    with b:
        n = len(b)
        assert n < 10 ** 6
        for i in list(range(min(n, 50))) + [n - 1]:
            if i < 0:
                continue
            try:
                assert isinstance(b[i], dict)
            except artpack.Error:
                pass
        try:
            b.find("a2")
        except artpack.Error:
            pass
        try:
            b.verify()
        except artpack.Error:
            pass


@given(mutated(BUNDLES) | st.binary(max_size=300))
@examples(2000)
def test_bundle_hostile(tmp_path_factory, data):
    p = tmp_path_factory.getbasetemp() / "hostile.apb"
    p.write_bytes(data)
    _read_all(p)


def test_hostile_seeds_are_valid(tmp_path):
    for r, a in zip(RECORDS, ODD_ARTICLES):
        assert artpack.unpack(r) == a
    for i, data in enumerate(BUNDLES):
        p = tmp_path / ("%d.apb" % i)
        p.write_bytes(data)
        with artpack.Bundle(p) as b:
            assert list(b) == ODD_ARTICLES * 4
            b.verify()


def test_every_truncation_and_bit_flip_of_a_bundle(tmp_path):
    data = BUNDLES[2]
    p = tmp_path / "t.apb"
    for cut in range(0, len(data), 7):
        p.write_bytes(data[:cut])
        _read_all(p)
    for i in range(0, len(data), 3):
        b = bytearray(data)
        b[i] ^= 0x10
        p.write_bytes(bytes(b))
        _read_all(p)


def test_bundle_not_a_file(tmp_path):
    with pytest.raises(OSError):
        artpack.Bundle(tmp_path / "missing.apb")
    with pytest.raises(artpack.CorruptError) as ei:
        p = tmp_path / "json.apb"
        p.write_text('{"id": "x"}\n')
        artpack.Bundle(p)
    assert ei.value.name.startswith("ARTPACK_E_")
