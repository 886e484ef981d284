"""Streams (what `artpack encode` writes, `artpack decode` reads) from Python:
StreamWriter writes the same bytes as the CLI for the same articles and
options; StreamReader reads the CLI's streams back to the articles; the CLI
decodes what StreamWriter wrote; pieces, truncations and hostile bytes.

The CLI is $ARTPACK_CLI (make python-test sets it to $(B)/artpack)."""
import io
import json
import os

import artpack
import pytest
from conftest import ODD_ARTICLES, articles, examples, needs_cli, run_cli
from hypothesis import given
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def dictionary(dictionary, tmp_path_factory):
    """conftest's dictionary and a file holding it (for the CLI's -D)."""
    p = tmp_path_factory.mktemp("dict") / "d.dict"
    assert dictionary.words > 0  # train's default: the -D variants carry the word transform
    dictionary.save(p)
    return dictionary, str(p)


def _jsonl(arts):
    return "".join(json.dumps(a) + "\n" for a in arts).encode("utf-8")


def _py_stream(arts, **kw):
    f = io.BytesIO()
    with artpack.StreamWriter(f, **kw) as w:
        w.extend(arts)
    assert w.count == len(arts)
    return f.getvalue()


# (the CLI's options, StreamWriter's keywords); "D" stands for the dictionary
VARIANTS = [
    ([], {}),
    (["-3"], {"level": 3}),
    (["-1", "--no-check"], {"level": 1, "checksum": False}),
    (["--lz4"], {"codec": "lz4"}),
    (["--stored"], {"codec": "stored"}),
    (["-D", "-5"], {"dictionary": "D", "level": 5}),
    (["-D", "--lz4", "-4"], {"dictionary": "D", "codec": "lz4", "level": 4}),
    (["-D", "--stored", "--no-check"], {"dictionary": "D", "codec": "stored", "checksum": False}),
    # the dictionary holds a word list: -D above applies the transform, as
    # words=None does; --no-words is words=False
    (["-D", "-5", "--no-words"], {"dictionary": "D", "level": 5, "words": False}),
    (["-D", "--lz4", "--no-words"], {"dictionary": "D", "codec": "lz4", "words": False}),
]


def _resolve(variant, dictionary):
    d, dpath = dictionary
    opts = []
    for o in variant[0]:
        opts += ["-D", dpath] if o == "-D" else [o]
    kw = {k: (d if v == "D" else v) for k, v in variant[1].items()}
    return opts, kw


@needs_cli
@given(st.lists(articles(), max_size=4), st.sampled_from(VARIANTS))
@examples(40)
def test_same_bytes_as_the_cli_both_ways(dictionary, arts, variant):
    """StreamWriter's bytes == `artpack encode`'s for the same JSON Lines and
    options; StreamReader reads the CLI's stream back to the articles (and
    raw records == pack); `artpack decode` reads StreamWriter's stream back."""
    opts, kw = _resolve(variant, dictionary)
    arts = [json.loads(json.dumps(a)) for a in arts]  # what json.loads gives
    cli_stream = run_cli("encode", "-q", "-c", "-f", *opts, stdin=_jsonl(arts))
    py_stream = _py_stream(arts, **kw)
    assert py_stream == cli_stream
    d = kw.get("dictionary")
    r = artpack.StreamReader(cli_stream, d)
    assert r.kind == ("compressed" if opts else "records")
    assert list(r) == arts
    assert list(artpack.StreamReader(cli_stream, d, raw=True)) == [artpack.pack(a) for a in arts]
    decoded = run_cli("decode", "-q", *(["-D", dictionary[1]] if d else []), stdin=py_stream)
    lines = decoded.split(b"\n")  # (not splitlines: U+0085, U+2028 are inside strings)
    assert lines[-1] == b""
    assert [json.loads(l) for l in lines[:-1]] == arts


@needs_cli
def test_corpus_file_same_bytes_as_therun_cli(dictionary, corpus_dir, tmp_path):
    """A slice of a corpus file: the same stream bytes as `artpack encode`,
    records and zstd -19 with a dictionary."""
    path = os.path.join(corpus_dir, "bbc.jsonl")
    if not os.path.exists(path):
        pytest.skip("no corpus at %s (ARTPACK_CORPUS)" % corpus_dir)
    with open(path, "rb") as f:
        lines = [l for l in f if l.strip()][:400]
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join(lines))
    arts = [json.loads(l) for l in lines]
    d, dpath = dictionary
    assert _py_stream(arts) == run_cli("encode", "-q", "-c", "-f", str(src))
    assert _py_stream(arts, dictionary=d) == run_cli("encode", "-q", "-c", "-f", "-D", dpath, str(src))
    out = tmp_path / "py.apz"
    with artpack.StreamWriter(out, d) as w:  # a path: written whole, then renamed
        for a in arts:
            w.add(a)
    with artpack.StreamReader(out, d) as r:
        assert list(r) == arts


class Pieces(io.RawIOBase):
    """A binary file that hands out at most the next size of sizes per read."""

    def __init__(self, data, sizes):
        self.data, self.pos, self.sizes, self.k = data, 0, sizes or [1], 0

    def readable(self):
        return True

    def read(self, n=-1):
        step = self.sizes[self.k % len(self.sizes)]
        self.k += 1
        n = step if n is None or n < 0 else min(n, step)
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out


def _read(source, dictionary=None):
    """(items, error name, error position) of reading to the first framing error."""
    out = []
    try:
        r = artpack.StreamReader(source, dictionary, raw=True)
    except artpack.Error as e:
        return out, e.name, e.position
    for _ in range(10 ** 6):
        try:
            out.append(next(r))
        except StopIteration:
            return out, None, None
        except artpack.Error as e:
            if e.name in ("ARTPACK_E_VARINT", "ARTPACK_E_LENGTH", "ARTPACK_E_TRUNCATED") \
                    and r.index == len(out):
                # framing lost: every later call raises it again
                with pytest.raises(artpack.Error):
                    next(r)
                return out, e.name, e.position
            out.append(("error", e.name, e.position))
    raise AssertionError("a stream of a few hundred bytes gave a million items")


@given(st.lists(articles(), max_size=4), st.booleans(),
       st.lists(st.integers(1, 40), min_size=1, max_size=5))
@examples(50)
def test_pieces_read_as_whole(dictionary, arts, compressed, sizes):
    """The same items and errors whether the stream is read whole (bytes)
    or from a file that returns a few bytes per read."""
    d = dictionary[0] if compressed else None
    data = _py_stream(arts, dictionary=d, level=1) if compressed else _py_stream(arts)
    whole = _read(data, d)
    assert whole == ([artpack.pack(a) for a in arts], None, None)
    assert _read(Pieces(data, sizes), d) == whole
    # every cut: a prefix of the items when it falls between two items (the
    # format has no end marker), else the error where the stream ends
    r = artpack.StreamReader(data, d, raw=True)
    bounds = {r.offset}
    for _ in r:
        bounds.add(r.offset)
    assert max(bounds) == len(data) and min(bounds) == (9 if compressed else 5)
    recs = whole[0]
    cuts = set(range(0, len(data), max(1, len(data) // 120))) | bounds | {b - 1 for b in bounds}
    for cut in sorted(c for c in cuts if 0 <= c < len(data)):
        got = _read(data[:cut], d)
        assert got == _read(Pieces(data[:cut], sizes), d)
        if cut in bounds:
            assert got[1] is None and got[0] == recs[:len(got[0])]
        else:
            assert got[1] in ("ARTPACK_E_TRUNCATED", "ARTPACK_E_STREAM"), got
            assert got[0] == recs[:len(got[0])]
            assert got[2] is not None and got[2] <= cut


def _head(n):
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def _concat(a, b):
    return a + b


@given(st.binary(max_size=300) | st.builds(_concat, st.sampled_from(
    [b"APKR\x01", b"APKZ\x01\x00\x00\x00\x00", b"APKR\x01\x05", b"APKZ\x01\x00\x00\x00\x00\x80"]),
    st.binary(max_size=200)), st.booleans())
@examples(2000)
def test_hostile_stream_bytes(dictionary, data, with_dict):
    """Any bytes: artpack.Error or articles, never a crash or another exception."""
    d = dictionary[0] if with_dict else None
    for source in (data, Pieces(data, [3, 1, 7])):
        try:
            r = artpack.StreamReader(source, d)
        except artpack.Error:
            continue
        for _ in range(400):
            before = r.index
            try:
                a = next(r)
            except StopIteration:
                break
            except artpack.Error as e:
                assert e.name is None or e.name.startswith("ARTPACK_E_")
                assert e.position is None or 0 <= e.position <= len(data)
                if r.index == before:  # the framing is lost: nothing after
                    break
                continue
            assert isinstance(a, dict)


def test_errors_name_the_problem_and_where(dictionary, tmp_path):
    d, _ = dictionary
    other = artpack.train([dict(a, id="o%d" % i, body=["other words %d" % i] * 5)
                           for i in range(300) for a in ODD_ARTICLES[:1]], size=4096)
    z = _py_stream(ODD_ARTICLES, dictionary=d)
    assert z[:4] == b"APKZ" and int.from_bytes(z[5:9], "little") == d.id
    with pytest.raises(artpack.DictionaryError) as ei:
        artpack.StreamReader(z)
    assert ei.value.name == "ARTPACK_E_NEED_DICT" and ei.value.position == 5
    with pytest.raises(artpack.DictionaryError) as ei:
        artpack.StreamReader(z, other)
    assert ei.value.name == "ARTPACK_E_WRONG_DICT"
    with pytest.raises(artpack.CorruptError) as ei:
        artpack.StreamReader(b'{"id": "x"}\n')
    assert ei.value.name == "ARTPACK_E_STREAM" and ei.value.position == 0
    with pytest.raises(artpack.CorruptError) as ei:
        artpack.StreamReader(b"APKR\x09")
    assert ei.value.name == "ARTPACK_E_STREAM" and ei.value.position == 4
    with pytest.raises(artpack.CorruptError) as ei:
        artpack.StreamReader(b"APKZ\x01\x00")
    assert ei.value.name == "ARTPACK_E_TRUNCATED"
    # a record stream with a damaged second record: that item fails, the
    # third is still read (the framing holds)
    s = bytearray(_py_stream(ODD_ARTICLES))
    r0, r1 = artpack.pack(ODD_ARTICLES[0]), artpack.pack(ODD_ARTICLES[1])
    second = 5 + len(_head(len(r0))) + len(r0) + len(_head(len(r1)))  # record 2's first byte
    assert s[second + len(r1) - 1] == 0  # its end byte
    s[second + len(r1) - 1] = 0x01
    r = artpack.StreamReader(bytes(s))
    assert next(r) == ODD_ARTICLES[0]
    with pytest.raises(artpack.CorruptError) as ei:
        next(r)
    assert ei.value.position >= second and "stream item 1" in str(ei.value)
    assert next(r) == ODD_ARTICLES[2]
    with pytest.raises(StopIteration):
        next(r)
    with pytest.raises(TypeError):
        artpack.StreamReader(12)
    with pytest.raises(TypeError):
        list(artpack.StreamReader(io.StringIO("APKR\x01")))


def test_writer_rules(dictionary, tmp_path):
    d, _ = dictionary
    # compressed=None follows the CLI: records unless a dictionary, level or codec
    assert artpack.StreamWriter(io.BytesIO()).kind == "records"
    for kw in ({"dictionary": d}, {"level": 3}, {"codec": "lz4"}):
        w = artpack.StreamWriter(io.BytesIO(), **kw)
        assert w.kind == "compressed"
    assert artpack.StreamWriter(io.BytesIO(), compressed=True).kind == "compressed"
    assert artpack.StreamWriter(io.BytesIO(), d, compressed=False).kind == "records"
    assert artpack.StreamWriter(io.BytesIO(), d).dict_id == d.id
    assert artpack.StreamWriter(io.BytesIO(), level=3).dict_id == 0
    # a path appears complete or not at all
    p = tmp_path / "s.aps"
    with pytest.raises(RuntimeError):
        with artpack.StreamWriter(p) as w:
            w.extend(ODD_ARTICLES)
            raise RuntimeError("stop")
    assert not p.exists() and os.listdir(tmp_path) == []
    with artpack.StreamWriter(p) as w:
        w.add(ODD_ARTICLES[0])
        w.add_record(artpack.pack(ODD_ARTICLES[1]))
        with pytest.raises(artpack.CorruptError):
            w.add_record(b"\x01\x02")
        with pytest.raises(TypeError):
            w.add("not a dict")
        w.extend(iter(ODD_ARTICLES[2:]))
        assert w.count == 3
    assert list(artpack.StreamReader(p)) == ODD_ARTICLES
    assert os.listdir(tmp_path) == ["s.aps"]
    with pytest.raises(ValueError):
        w.add(ODD_ARTICLES[0])
    with pytest.raises(ValueError):
        artpack.StreamWriter(io.BytesIO(), codec="gzip")
    # an article that cannot be packed: ArticleError, the stream unchanged
    f = io.BytesIO()
    w = artpack.StreamWriter(f)
    with pytest.raises(artpack.ArticleError):
        w.add({"id": "x", "n": float("inf")})
    w.close()
    assert f.getvalue() == b"APKR\x01"
