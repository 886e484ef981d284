"""Every article of the corpus files round-trips through pack, compress and a
bundle. The corpus is found through ARTPACK_CORPUS (default
../shared/corpus from the repository); without it these tests are skipped
with a message."""
import glob
import os

import artpack
import pytest
from conftest import load_jsonl


def _files(corpus_dir):
    files = sorted(glob.glob(os.path.join(corpus_dir, "*.jsonl")))
    if not files:
        pytest.skip("corpus round trip SKIPPED: no *.jsonl in %s (set ARTPACK_CORPUS)"
                    % os.path.abspath(corpus_dir))
    return files


@pytest.fixture(scope="module")
def corpus(corpus_dir):
    return {os.path.basename(f): load_jsonl(f) for f in _files(corpus_dir)}


@pytest.fixture(scope="module")
def dictionary(corpus):
    train_on = corpus.get("reuters_financial.jsonl") or next(iter(corpus.values()))
    return artpack.train(train_on[:3000])


def test_corpus_pack(corpus):
    for name, arts in corpus.items():
        for i, a in enumerate(arts):
            assert artpack.unpack(artpack.pack(a)) == a, "%s article %d" % (name, i)


def test_corpus_compress(corpus, dictionary):
    for name, arts in corpus.items():
        level = 19 if name == "seed.jsonl" else 3
        for i, a in enumerate(arts):
            blob = artpack.compress(a, dictionary, level=level)
            assert artpack.decompress(blob, dictionary) == a, "%s article %d" % (name, i)


def test_corpus_bundle(corpus, dictionary, tmp_path):
    paths = []
    everything = []
    for name, arts in corpus.items():
        p = tmp_path / (name + ".apb")
        with artpack.BundleWriter(p, dictionary=dictionary, embed_dictionary=True, level=3) as w:
            w.extend(arts)
        with artpack.Bundle(p) as b:
            assert len(b) == len(arts)
            assert list(b) == arts, name
            b.verify()
        paths.append(p)
        everything += arts
    out = tmp_path / "all.apb"
    assert artpack.merge(paths, out) == len(everything)
    with artpack.Bundle(out) as b:
        assert len(b) == len(everything)
        assert list(b) == everything
        b.verify()
