"""The word transform written from Python (docs/FORMAT.md "Word transform"):
train() learns a word list by default, as `artpack train`; compress,
compress_record, StreamWriter and BundleWriter apply it when the dictionary
holds one (words=None, as the CLI), leave it out with words=False
(`--no-words`) and require it with words=True. Byte for byte against the
CLI for the same articles, dictionary and options.

The articles: the first 700 of the corpus's bbc.jsonl (400 to train on,
300 to compress), or the synthetic sample_articles without the corpus. The
CLI is $ARTPACK_CLI (make python-test sets it)."""
import io
import json
import os

import artpack
import pytest
from conftest import articles, examples, load_jsonl, needs_cli, run_cli
from hypothesis import given


@pytest.fixture(scope="module")
def texts(sample_articles, corpus_dir, tmp_path_factory):
    """(train articles, test articles, folder holding train.jsonl and
    test.jsonl, the word-list dictionary, the plain one), both 16 KB."""
    bbc = os.path.join(corpus_dir, "bbc.jsonl")
    arts = load_jsonl(bbc, limit=700) if os.path.exists(bbc) else list(sample_articles)
    cut = len(arts) * 4 // 7
    train, test = arts[:cut], arts[cut:]
    folder = tmp_path_factory.mktemp("words")
    for name, part in (("train", train), ("test", test)):
        (folder / (name + ".jsonl")).write_text(
            "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in part), encoding="utf-8")
    dw = artpack.train(train, size=16384)
    dp = artpack.train(train, size=16384, words=False)
    dw.save(folder / "w.dict")
    dp.save(folder / "plain.dict")
    return train, test, folder, dw, dp


def _stream(arts, **kw):
    f = io.BytesIO()
    with artpack.StreamWriter(f, **kw) as w:
        w.extend(arts)
    return f.getvalue()


def test_train_words(texts):
    train, _, _, dw, dp = texts
    assert 0 < dw.words <= 2035 and dp.words == 0
    assert "words" in repr(dw) and "words" not in repr(dp)
    assert len(dw) == len(dp) == 16384 and dw.id != dp.id
    # deterministic, from articles or records alike
    assert artpack.train(iter(train), size=16384, words=True) == dw
    assert artpack.train([artpack.pack(a) for a in train], size=16384) == dw
    assert artpack.Dictionary(dw.data).words == dw.words
    # a number of words: at most that many
    d64 = artpack.train(train, size=16384, words=64)
    assert 0 < d64.words <= 64
    for bad in (0, -1, 2036):
        with pytest.raises(ValueError):
            artpack.train(train, size=16384, words=bad)
    with pytest.raises(TypeError):
        artpack.train(train, size=16384, words="yes")


@needs_cli
def test_train_same_bytes_as_artpack_train(texts):
    """The CLI packs the same JSON Lines into the same records and trains on
    them in the same order: the same dictionary, with and without a list;
    its info reports the list Dictionary.words reports."""
    _, _, folder, dw, dp = texts
    src = folder / "train.jsonl"
    run_cli("train", "-q", "--size", "16K", "-o", folder / "cli-w.dict", src)
    run_cli("train", "-q", "--size", "16K", "--no-words", "-o", folder / "cli-p.dict", src)
    assert (folder / "cli-w.dict").read_bytes() == dw.data
    assert (folder / "cli-p.dict").read_bytes() == dp.data
    info = json.loads(run_cli("info", "--json", folder / "w.dict"))
    assert info["words"] == dw.words > 0
    assert json.loads(run_cli("info", "--json", folder / "plain.dict"))["words"] == 0


@pytest.mark.parametrize("codec", ["zstd", "lz4"])
def test_frames_round_trip(texts, codec):
    _, test, _, dw, dp = texts
    on = off = 0
    for a in test[:60]:
        rec = artpack.pack(a)
        blob = artpack.compress(a, dw, codec=codec)
        assert blob == artpack.compress(a, dw, codec=codec, words=True)
        assert blob == artpack.compress_record(rec, dw, codec=codec)
        plain = artpack.compress(a, dw, codec=codec, words=False)
        assert plain == artpack.compress_record(rec, dw, codec=codec, words=False)
        assert artpack.decompress(blob, dw) == a and artpack.decompress(plain, dw) == a
        assert artpack.decompress(blob, dw, raw=True) == rec
        on += len(blob)
        off += len(artpack.compress(a, dp, codec=codec))
    # the list's dictionary and transform against a plain dictionary of the
    # same size, on the same text
    assert on < off, (codec, on, off)


def test_stored_takes_no_words(texts, tmp_path):
    _, test, _, dw, _ = texts
    a = test[0]
    assert artpack.compress(a, dw, codec="stored") == \
        artpack.compress(a, dw, codec="stored", words=False)
    with pytest.raises(ValueError):
        artpack.compress(a, dw, codec="stored", words=True)
    with pytest.raises(ValueError):
        artpack.BundleWriter(tmp_path / "s.apb", dw, codec="stored", words=True)
    assert os.listdir(tmp_path) == []


def test_words_true_needs_a_list(texts, tmp_path):
    """words=True with a dictionary that holds no word list (or none at
    all): the library's ARTPACK_E_NO_WORDS, as artpack.Error."""
    _, test, _, _, dp = texts
    a = test[0]
    for d in (dp, None):
        with pytest.raises(artpack.Error) as ei:
            artpack.compress(a, d, words=True)
        assert ei.value.name == "ARTPACK_E_NO_WORDS"
        with pytest.raises(artpack.Error) as ei:
            artpack.compress_record(artpack.pack(a), d, codec="lz4", words=True)
        assert ei.value.name == "ARTPACK_E_NO_WORDS"
        with pytest.raises(artpack.Error) as ei:
            artpack.StreamWriter(io.BytesIO(), d, level=3, words=True)
        assert ei.value.name == "ARTPACK_E_NO_WORDS"
        with pytest.raises(artpack.Error) as ei:
            artpack.BundleWriter(tmp_path / "b.apb", d, level=3, words=True)
        assert ei.value.name == "ARTPACK_E_NO_WORDS"
    assert os.listdir(tmp_path) == []  # nothing left behind
    # None and False: no transform, no error
    assert artpack.compress(a, dp) == artpack.compress(a, dp, words=False)
    # a record stream holds no frames
    with pytest.raises(ValueError):
        artpack.StreamWriter(io.BytesIO(), compressed=False, words=True)


# (the CLI's encode options, StreamWriter's keywords)
STREAMS = [
    (["-19"], {"level": 19}),
    (["-19", "--no-words"], {"level": 19, "words": False}),
    (["--lz4"], {"codec": "lz4"}),
    (["--lz4", "--no-words"], {"codec": "lz4", "words": False}),
]


@needs_cli
@pytest.mark.parametrize("opts,kw", STREAMS, ids=[" ".join(o) for o, _ in STREAMS])
def test_stream_same_bytes_as_artpack_encode(texts, opts, kw):
    _, test, folder, dw, _ = texts
    ours = _stream(test, dictionary=dw, **kw)
    cli = run_cli("encode", "-q", "-c", "-f", *opts, "-D", folder / "w.dict", folder / "test.jsonl")
    assert ours == cli
    assert list(artpack.StreamReader(ours, dw)) == test
    if kw.get("words") is None:
        assert ours == _stream(test, dictionary=dw, words=True, **kw)
        assert len(ours) < len(_stream(test, dictionary=dw, words=False, **kw))


# (the CLI's pack options, BundleWriter's keywords)
BUNDLES = [
    (["-19"], {"level": 19}),
    (["-19", "--no-words"], {"level": 19, "words": False}),
    (["-9", "--rows", "--embed-dict"], {"level": 9, "columns": False, "embed_dictionary": True}),
    (["--lz4"], {"codec": "lz4"}),
]


@needs_cli
@pytest.mark.parametrize("opts,kw", BUNDLES, ids=[" ".join(o) for o, _ in BUNDLES])
def test_bundle_same_bytes_as_artpack_pack(texts, tmp_path, opts, kw):
    _, test, folder, dw, _ = texts
    ours, cli = tmp_path / "py.apb", tmp_path / "cli.apb"
    with artpack.BundleWriter(ours, dw, block_size=32768, **kw) as w:
        w.extend(test)
    # (BundleWriter writes no block map: pack --no-similar)
    run_cli("pack", "-q", "--no-similar", "--block-size", "32K", *opts, "-D", folder / "w.dict",
            "-o", cli, folder / "test.jsonl")
    assert ours.read_bytes() == cli.read_bytes()
    with artpack.Bundle(ours, dw) as b:
        assert b.info["words"] == (kw.get("words") is not False)
        assert list(b) == test
        b.verify()


def test_bundle_smaller_with_words(texts, tmp_path):
    _, test, _, dw, dp = texts
    sizes = {}
    for name, d, words in (("on", dw, None), ("off", dw, False), ("plain", dp, None)):
        p = tmp_path / (name + ".apb")
        with artpack.BundleWriter(p, d, level=19, block_size=32768, words=words) as w:
            w.extend(test)
        with artpack.Bundle(p, d) as b:
            assert b.info["words"] == (name == "on") and list(b) == test
        sizes[name] = p.stat().st_size
    assert sizes["on"] < sizes["off"] and sizes["on"] < sizes["plain"], sizes


@given(articles())
@examples(25)
def test_arbitrary_articles_round_trip(dictionary, a):
    """Any article through the transform and back, both codecs (conftest's
    dictionary holds a word list: train's default)."""
    for codec in ("zstd", "lz4"):
        blob = artpack.compress(a, dictionary, level=1 if codec == "zstd" else None,
                                codec=codec, words=True)
        assert artpack.decompress(blob, dictionary) == artpack.unpack(artpack.pack(a))
