"""compress / decompress, dictionaries."""
import threading

import artpack
import pytest


def test_compress_with_dictionary(sample_articles, dictionary):
    for a in sample_articles[:50]:
        for level in (1, 19):
            blob = artpack.compress(a, dictionary, level=level)
            assert artpack.decompress(blob, dictionary) == a
        for codec in ("lz4", "stored"):
            blob = artpack.compress(a, dictionary, codec=codec)
            assert artpack.decompress(blob, dictionary) == a
    a = sample_articles[0]
    assert len(artpack.compress(a, dictionary)) < len(artpack.compress(a))
    assert artpack.decompress(artpack.compress(a, dictionary), dictionary, raw=True) == artpack.pack(a)
    assert artpack.decompress(artpack.compress_record(artpack.pack(a), dictionary), dictionary) == a


def test_dictionary_errors(sample_articles, dictionary):
    a = sample_articles[1]
    blob = artpack.compress(a, dictionary)
    with pytest.raises(artpack.DictionaryError) as ei:
        artpack.decompress(blob)
    assert ei.value.name == "ARTPACK_E_NEED_DICT"
    other = artpack.train(sample_articles[::2], size=8192)
    assert other.id != dictionary.id
    with pytest.raises(artpack.DictionaryError) as ei:
        artpack.decompress(blob, other)
    assert ei.value.name == "ARTPACK_E_WRONG_DICT"
    with pytest.raises(artpack.DictionaryError) as ei:
        artpack.Dictionary(b"not a dictionary" * 1000)
    assert ei.value.name == "ARTPACK_E_DICT"
    with pytest.raises(artpack.DictionaryError) as ei:
        artpack.train(sample_articles[:3])
    assert ei.value.name == "ARTPACK_E_TRAIN"
    with pytest.raises(artpack.Error) as ei:
        artpack.compress(a, dictionary, level=99)
    assert ei.value.name == "ARTPACK_E_PARAM"
    with pytest.raises(TypeError):
        artpack.compress(a, b"bytes are not a Dictionary")


def test_dictionary_save_load(tmp_path, dictionary, sample_articles):
    p = tmp_path / "news.dict"
    dictionary.save(p)
    d = artpack.Dictionary.load(p)
    assert d.id == dictionary.id and d == dictionary and len(d) == len(dictionary.data)
    assert isinstance(d.id, int) and d.id != 0
    assert bytes(d) == p.read_bytes()
    assert [x.name for x in tmp_path.iterdir()] == ["news.dict"]  # no temporary left
    blob = artpack.compress(sample_articles[0], dictionary)
    assert artpack.decompress(blob, d) == sample_articles[0]
    import pickle
    assert pickle.loads(pickle.dumps(d)) == d


def test_train_deterministic(sample_articles):
    a = artpack.train(sample_articles, size=8192)
    b = artpack.train(iter(sample_articles), size=8192)
    assert a.data == b.data and isinstance(a, artpack.Dictionary)
    c = artpack.train([artpack.pack(x) for x in sample_articles], size=8192)
    assert c.data == a.data


def test_threads(sample_articles, dictionary):
    """Many threads compress and decompress at once (the GIL is released)."""
    blobs = [artpack.compress(a, dictionary, level=5) for a in sample_articles]
    errors = []

    def work(k):
        try:
            for i in range(k, len(sample_articles), 4):
                a = sample_articles[i]
                assert artpack.compress(a, dictionary, level=5) == blobs[i]
                assert artpack.decompress(blobs[i], dictionary) == a
        except Exception as e:  # pragma: no cover
            errors.append(e)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
