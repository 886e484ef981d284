"""pack / unpack: dicts <-> records."""
import json
import math

import artpack
import pytest
from conftest import examples, articles
from hypothesis import given


# One property test for an arbitrary article through everything that takes
# one (drawing an article costs far more than these checks): pack/unpack,
# the JSON text's round trip, compress with and without a dictionary.
@given(articles())
@examples(400)
def test_roundtrip_arbitrary(dictionary, a):
    rec = artpack.pack(a)
    assert isinstance(rec, bytes)
    assert artpack.unpack(rec) == a
    # canonical: one article, one record, whatever the order of its keys
    assert artpack.pack(artpack.unpack(rec)) == rec
    assert artpack.pack(dict(reversed(list(a.items())))) == rec
    # what json.loads gives for the article's JSON line comes back
    b = json.loads(json.dumps(a, ensure_ascii=False))
    assert artpack.unpack(artpack.pack(b)) == b
    # compress / decompress, alone and with a dictionary
    assert artpack.decompress(artpack.compress(a, level=1)) == a
    assert artpack.decompress(artpack.compress(a, dictionary, level=3), dictionary) == a


def test_types_kept():
    a = {"id": 5, "title": ["x"], "authors": [1, "a"], "body": "one string", "date": 20261127,
         "published": None, "tags": [], "x": {"b": [1.5, -0.0, 1e300, 10 ** 50], "a": True},
         "": "empty key", "ключ": "значение", "emoji 🎉": "🎉", "ctl": "\x00\x01\x1f\x7f\"\\"}
    b = artpack.unpack(artpack.pack(a))
    assert b == a
    assert type(b["id"]) is int and type(b["x"]["b"][0]) is float
    assert math.copysign(1, b["x"]["b"][1]) == -1


def test_dates_and_timestamps_text_kept():
    for d in ["2026-11-27", "2026-02-30", "2026-11-27T00:00:00", " 2026-11-27"]:
        for ts in ["2019-08-29T18:47:00.790+05:30", "2019-08-29T18:47:00.79Z",
                   "2019-08-29T18:47", "yesterday"]:
            a = {"date": d, "published": ts}
            assert artpack.unpack(artpack.pack(a)) == a


def test_pack_refuses_what_json_cannot_hold():
    with pytest.raises(ValueError):
        artpack.pack({"x": float("nan")})
    with pytest.raises(ValueError):
        artpack.pack({"x": float("inf")})
    with pytest.raises(TypeError):
        artpack.pack({1: "int key"})
    with pytest.raises(TypeError):
        artpack.pack(["not", "a", "dict"])
    with pytest.raises(TypeError):
        artpack.pack({"x": object()})
    with pytest.raises(UnicodeEncodeError):
        artpack.pack({"title": "\ud800"})


def test_unpack_errors_carry_name_and_position():
    rec = artpack.pack({"id": "a", "title": "Rain", "body": ["x", "y"]})
    with pytest.raises(artpack.CorruptError) as ei:
        artpack.unpack(rec[:-1])
    e = ei.value
    assert isinstance(e, artpack.Error)
    assert e.name == "ARTPACK_E_TRUNCATED" and isinstance(e.code, int)
    assert isinstance(e.position, int) and 0 <= e.position <= len(rec)
    assert "ARTPACK_E_TRUNCATED" in str(e)
    assert artpack.error_name(e.code) == e.name


def test_unpack_accepts_buffers():
    rec = artpack.pack({"id": "a"})
    assert artpack.unpack(bytearray(rec)) == {"id": "a"}
    assert artpack.unpack(memoryview(rec)) == {"id": "a"}


def test_non_finite_values_are_article_errors():
    # JSON has no NaN or infinity; json.loads turns 1E400 into inf, which
    # no JSON text can carry back: pack refuses it with ArticleError (found
    # by the hostile-bytes property test)
    import math
    for v in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(artpack.ArticleError):
            artpack.pack({"id": "x", "n": v})
        with pytest.raises(ValueError):
            artpack.pack({"id": "x", "deep": [1, {"n": v}]})
    a = artpack.unpack(artpack.pack({"id": "x"}))
    assert a == {"id": "x"}
    big = json.loads('{"id":"y","n":1E400}')
    assert math.isinf(big["n"])
    with pytest.raises(artpack.ArticleError):
        artpack.pack(big)
