"""Bundles whose blocks carry the dictionary's word transform (what
`artpack pack -D` writes with a dictionary that holds a word list): the
package's Bundle reads them through libartpack, every article identical, and
its merge keeps them. The CLI is $ARTPACK_CLI (make python-test sets it)."""
import json

import artpack
import pytest
from conftest import needs_cli, run_cli


@pytest.fixture(scope="module")
def packed(sample_articles, tmp_path_factory):
    """A word-list dictionary trained by the CLI, and bundles packed with it."""
    d = tmp_path_factory.mktemp("words")
    src = d / "a.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in sample_articles), encoding="utf-8")
    run_cli("train", "-q", "--size", "16K", "-o", d / "d.dict", src)
    for name, opts in (("w", ()), ("w-lz4", ("--lz4",)), ("w-rows", ("--rows",)),
                       ("plain", ("--no-words",))):
        run_cli("pack", "-q", "--block-size", "8K", *opts, "-D", d / "d.dict", "-o",
                d / (name + ".apb"), src)
    return d, artpack.Dictionary.load(d / "d.dict")


@needs_cli
@pytest.mark.parametrize("name", ["w", "w-lz4", "w-rows", "plain"])
def test_bundle_reads_word_transformed(packed, sample_articles, name):
    d, dictionary = packed
    with artpack.Bundle(d / (name + ".apb"), dictionary) as b:
        assert b.info["words"] == (name != "plain")
        assert list(b) == sample_articles
        assert b[len(b) // 2] == sample_articles[len(b) // 2]
        b.verify()


@needs_cli
@pytest.mark.parametrize("name", ["w", "w-rows"])
def test_merge_keeps_words(packed, sample_articles, tmp_path, name):
    """merge copies the blocks as they are: word transform and layout kept."""
    d, dictionary = packed
    out = tmp_path / "m.apb"
    assert artpack.merge([d / (name + ".apb"), d / (name + ".apb")], out, dictionary) == \
        2 * len(sample_articles)
    with artpack.Bundle(out, dictionary) as m:
        assert m.info["words"]
        assert list(m) == sample_articles + sample_articles


@needs_cli
def test_merge_refuses_mixed(packed, tmp_path):
    """Blocks with and without the word transform cannot share a bundle."""
    d, dictionary = packed
    with pytest.raises(artpack.Error) as ei:
        artpack.merge([d / "w.apb", d / "plain.apb"], tmp_path / "m.apb", dictionary)
    assert "word transform" in str(ei.value)
    assert not (tmp_path / "m.apb").exists()
