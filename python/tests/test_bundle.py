"""BundleWriter, Bundle, merge."""
import os
import threading

import artpack
import pytest
from conftest import examples, articles, needs_cli, run_cli
from hypothesis import given
from hypothesis import strategies as st


def test_bundle_api(tmp_path, sample_articles, dictionary):
    p = tmp_path / "b.apb"
    with artpack.BundleWriter(p, dictionary=dictionary, embed_dictionary=True, level=3,
                              block_size=8192) as w:
        w.add(sample_articles[0])
        w.extend(sample_articles[1:])
        assert w.count == len(sample_articles)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["b.apb"]
    with artpack.Bundle(p) as b:
        n = len(b)
        assert n == len(sample_articles)
        assert b[0] == sample_articles[0] and b[-1] == sample_articles[-1]
        assert b[n - 1] == b[-1]
        assert b[10:20] == sample_articles[10:20]
        assert b[::-37] == sample_articles[::-37]
        assert b[5:2] == []
        assert list(b) == sample_articles
        assert b.find("a00123") == 123
        assert b.find("a00123", start=124) == -1
        assert b.find("nope") == -1
        assert b.get_id("a00007") == sample_articles[7]
        with pytest.raises(KeyError):
            b.get_id("nope")
        with pytest.raises(IndexError):
            b[n]
        with pytest.raises(IndexError):
            b[-n - 1]
        assert artpack.unpack(b.record(3)) == sample_articles[3]
        b.verify()
        info = b.info
        assert info["codec"] == "zstd" and info["dict_id"] == dictionary.id
        assert info["dict_embedded"] and info["block_count"] > 1
        assert b.dictionary == dictionary
    with pytest.raises(ValueError):
        len(b)  # closed


def test_bundle_named_dictionary(tmp_path, sample_articles, dictionary):
    p = tmp_path / "named.apb"
    with artpack.BundleWriter(p, dictionary=dictionary, level=1) as w:
        w.extend(sample_articles[:50])
    with pytest.raises(artpack.DictionaryError) as ei:
        artpack.Bundle(p)
    assert ei.value.name == "ARTPACK_E_NEED_DICT"
    other = artpack.train(sample_articles[::2], size=8192)
    with pytest.raises(artpack.DictionaryError) as ei:
        artpack.Bundle(p, other)
    assert ei.value.name == "ARTPACK_E_WRONG_DICT"
    with artpack.Bundle(p, dictionary) as b:
        assert list(b) == sample_articles[:50]


@pytest.mark.parametrize("codec", ["zstd", "lz4", "stored"])
def test_bundle_codecs(tmp_path, sample_articles, codec):
    p = tmp_path / ("c-%s.apb" % codec)
    with artpack.BundleWriter(p, codec=codec, block_size=4096) as w:
        w.extend(sample_articles[:60])
    with artpack.Bundle(p) as b:
        assert b.info["codec"] == codec
        assert list(b) == sample_articles[:60]


def test_writer_aborts_on_exception(tmp_path, sample_articles):
    p = tmp_path / "x.apb"
    with pytest.raises(RuntimeError):
        with artpack.BundleWriter(p) as w:
            w.extend(sample_articles[:10])
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError):
        with artpack.BundleWriter(p) as w:
            w.add(["not", "an", "article"])
    assert list(tmp_path.iterdir()) == []
    with artpack.BundleWriter(p) as w:
        pass
    with artpack.Bundle(p) as b:
        assert len(b) == 0 and list(b) == []


def test_merge(tmp_path, sample_articles, dictionary):
    parts = [sample_articles[:100], sample_articles[100:250], sample_articles[250:]]
    paths = []
    for i, part in enumerate(parts):
        p = tmp_path / ("part%d.apb" % i)
        with artpack.BundleWriter(p, dictionary=dictionary, embed_dictionary=True, level=3) as w:
            w.extend(part)
        paths.append(p)
    out = tmp_path / "merged.apb"
    assert artpack.merge(paths, out) == len(sample_articles)
    with artpack.Bundle(out) as b:
        assert list(b) == sample_articles
        assert b.info["dict_embedded"]
        b.verify()
    # a bundle with another dictionary cannot be merged in
    q = tmp_path / "nodict.apb"
    with artpack.BundleWriter(q) as w:
        w.extend(parts[0])
    with pytest.raises(artpack.Error):
        artpack.merge([paths[0], q], tmp_path / "bad.apb")
    assert not (tmp_path / "bad.apb").exists()
    assert not [x for x in os.listdir(tmp_path) if x.endswith(".tmp")]


def test_merge_named_dictionary(tmp_path, sample_articles, dictionary):
    paths = []
    for i in range(2):
        p = tmp_path / ("n%d.apb" % i)
        with artpack.BundleWriter(p, dictionary=dictionary) as w:
            w.extend(sample_articles[i * 10:(i + 1) * 10])
        paths.append(p)
    out = tmp_path / "m.apb"
    artpack.merge(paths, out, dictionary=dictionary)
    with artpack.Bundle(out, dictionary) as b:
        assert list(b) == sample_articles[:20]
        assert not b.info["dict_embedded"]


def _named_bundle(path, articles, dictionary):
    with artpack.BundleWriter(path, dictionary=dictionary, level=1, block_size=4096) as w:
        w.extend(articles)
    return path.read_bytes()


def test_merge_copies_blocks_undecoded(tmp_path, sample_articles, dictionary):
    """merge copies blocks as stored without decoding them (as artpack
    merge): a block damaged inside is copied with its checksum, which
    reading and verify check in the merged bundle; a block whose frame head
    is not one of the bundle's codec stops the merge, naming the bundle,
    and leaves nothing."""
    good = tmp_path / "good.apb"
    data = _named_bundle(good, sample_articles[:100], dictionary)
    assert data[32:36] == b"\x28\xb5\x2f\xfd"  # block 0, a zstd frame, after the header
    with artpack.Bundle(good, dictionary) as b:
        first = b.info["block_count"]
    inside = bytearray(data)
    inside[32 + 100] ^= 0x55
    bad = tmp_path / "inside.apb"
    bad.write_bytes(bytes(inside))
    out = tmp_path / "m.apb"
    assert artpack.merge([good, bad], out, dictionary) == 200
    with artpack.Bundle(out, dictionary) as m:
        assert m.info["block_count"] == 2 * first
        assert m[:100] == sample_articles[:100] and m[-1] == sample_articles[99]
        with pytest.raises(artpack.CorruptError):
            m[100]
        with pytest.raises(artpack.CorruptError):
            m.verify()
    head = bytearray(data)
    head[32] ^= 0xFF
    bad.write_bytes(bytes(head))
    with pytest.raises(artpack.Error) as ei:
        artpack.merge([good, bad], tmp_path / "no.apb", dictionary)
    assert ei.value.name == "ARTPACK_E_BLOCK" and str(bad) in str(ei.value)
    assert "block 0" in str(ei.value)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["good.apb", "inside.apb", "m.apb"]


@needs_cli
def test_merge_same_bytes_as_artpack_merge(tmp_path, sample_articles, dictionary):
    paths = []
    for i in range(3):
        p = tmp_path / ("p%d.apb" % i)
        _named_bundle(p, sample_articles[i * 40:(i + 1) * 40 + 7 * i], dictionary)
        paths.append(str(p))
    d = tmp_path / "d.dict"
    dictionary.save(d)
    ours, theirs = tmp_path / "py.apb", tmp_path / "cli.apb"
    artpack.merge(paths, ours, dictionary)
    run_cli("merge", "-q", "-D", d, "-o", theirs, *paths)
    assert ours.read_bytes() == theirs.read_bytes()


# (the articles' own round trip is test_records' property: here the blocks
# they fall into and find)
@given(st.lists(articles(), max_size=12), st.sampled_from([256, 4096, 0]))
@examples(30)
def test_bundle_roundtrip_arbitrary(tmp_path_factory, arts, block_size):
    p = tmp_path_factory.mktemp("h") / "h.apb"
    with artpack.BundleWriter(p, level=1, block_size=block_size) as w:
        w.extend(arts)
    with artpack.Bundle(p) as b:
        assert list(b) == arts
        for i, a in enumerate(arts):
            if isinstance(a.get("id"), str):
                assert b[b.find(a["id"])]["id"] == a["id"]
                assert b.find(a["id"]) <= i
        b.verify()


def test_bundle_threads(tmp_path, sample_articles):
    p = tmp_path / "t.apb"
    with artpack.BundleWriter(p, level=1, block_size=4096) as w:
        w.extend(sample_articles)
    errors = []
    with artpack.Bundle(p) as b:
        def work(k):
            try:
                for i in range(k, len(sample_articles), 3):
                    assert b[i] == sample_articles[i]
            except Exception as e:  # pragma: no cover
                errors.append(e)
        ts = [threading.Thread(target=work, args=(k,)) for k in range(3)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    assert not errors


def _bundle(path, arts, **kw):
    with artpack.BundleWriter(path, **kw) as w:
        w.extend(arts)
    return path.read_bytes()


@given(st.lists(articles(), min_size=1, max_size=30), st.integers(2, 9),
       st.sampled_from([("zstd", 1), ("zstd", 6), ("lz4", 1), ("stored", None)]),
       st.integers(64, 2048), st.booleans())
@examples(25)
def test_jobs_same_bytes(tmp_path_factory, dictionary, arts, jobs, codec_level, block_size,
                         with_dict):
    """BundleWriter(jobs=N) writes the bytes jobs=1 writes, for any N."""
    codec, level = codec_level
    d = tmp_path_factory.mktemp("jobs")
    kw = dict(codec=codec, level=level, block_size=block_size,
              dictionary=dictionary if with_dict else None, embed_dictionary=with_dict)
    one = _bundle(d / "one.apb", arts, **kw)
    many = _bundle(d / "many.apb", arts, jobs=jobs, **kw)
    assert many == one
    with artpack.Bundle(d / "many.apb") as b:
        assert list(b) == arts


def test_jobs_many_blocks(tmp_path, sample_articles, dictionary):
    """Hundreds of blocks through 1, 2, 3, 8, 64 and one-per-CPU jobs: the
    same bytes; commits in the middle (add, close) and add_record too."""
    arts = sample_articles * 3
    ref = None
    for jobs in (1, 2, 3, 8, 64, 0):
        p = tmp_path / ("j%d.apb" % jobs)
        with artpack.BundleWriter(p, dictionary=dictionary, level=3, block_size=1024,
                                  jobs=jobs) as w:
            w.extend(arts[:500])
            for a in arts[500:600]:
                w.add(a)
            for a in arts[600:]:
                w.add_record(artpack.pack(a))
        data = p.read_bytes()
        if ref is None:
            ref = data
            with artpack.Bundle(p, dictionary) as b:
                assert b.info["block_count"] > 100
        assert data == ref, "jobs=%d" % jobs
    with artpack.Bundle(tmp_path / "j8.apb", dictionary) as b:
        assert list(b) == arts
        b.verify()
    for bad in (-1, 65, 1000):
        with pytest.raises(ValueError):
            artpack.BundleWriter(tmp_path / "bad.apb", jobs=bad)
    assert sorted(x.name for x in tmp_path.iterdir()) == [
        "j0.apb", "j1.apb", "j2.apb", "j3.apb", "j64.apb", "j8.apb"]


def test_jobs_threads_run_without_the_gil(tmp_path, sample_articles):
    """A parallel writer in one Python thread while another thread packs:
    both finish, the bundle is the one-thread bundle."""
    arts = sample_articles * 2
    ref = _bundle(tmp_path / "ref.apb", arts, level=5, block_size=2048)
    done = []

    def other():
        done.append(sum(len(artpack.pack(a)) for a in arts))

    t = threading.Thread(target=other)
    t.start()
    got = _bundle(tmp_path / "par.apb", arts, level=5, block_size=2048, jobs=4)
    t.join()
    assert got == ref and done and done[0] > 0
