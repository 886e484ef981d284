"""Bundle layouts: BundleWriter writes what `artpack pack` writes (columnar
blocks for zstd by default, rows with columns=False / --rows, LZ4 and stored
in rows), byte for byte with the same options and dictionary; Bundle reads
both layouts, the CLI's and its own; merge keeps the layout and refuses to
mix two.

The CLI is $ARTPACK_CLI (make python-test sets it to $(B)/artpack)."""
import json
import os
import subprocess

import artpack
import pytest
from conftest import CLI, ODD_ARTICLES, load_jsonl, needs_cli

# (artpack pack options, BundleWriter keywords): "D" stands for the dictionary
VARIANTS = [
    ([], {}),
    (["-3"], {"level": 3}),
    (["-3", "--rows"], {"level": 3, "columns": False}),
    (["-1", "--block-size", "16K"], {"level": 1, "block_size": 16384}),
    (["-5", "-D", "D", "--embed-dict"], {"level": 5, "dictionary": "D", "embed_dictionary": True}),
    (["-2", "-D", "D", "--rows", "--block-size", "8K"],
     {"level": 2, "dictionary": "D", "columns": False, "block_size": 8192}),
    (["--lz4", "-D", "D"], {"codec": "lz4", "dictionary": "D"}),
    # the dictionary holds a word list (train's default): pack -D applies
    # the transform as BundleWriter's words=None does; --no-words is False
    (["-5", "-D", "D", "--no-words"], {"level": 5, "dictionary": "D", "words": False}),
    (["--lz4", "-D", "D", "--no-words", "--embed-dict"],
     {"codec": "lz4", "dictionary": "D", "words": False, "embed_dictionary": True}),
    (["--lz4", "-4"], {"codec": "lz4", "level": 4}),
    (["--stored"], {"codec": "stored"}),
]


@pytest.fixture(scope="module")
def inputs(sample_articles, corpus_dir, tmp_path_factory):
    """The articles (the synthetic ones, ODD_ARTICLES's odd ones, and 300 of bbc
    when the corpus is there), as a JSON Lines file, and a dictionary."""
    arts = list(sample_articles) + ODD_ARTICLES
    bbc = os.path.join(corpus_dir, "bbc.jsonl")
    if os.path.exists(bbc):
        arts += load_jsonl(bbc, limit=300)
    folder = tmp_path_factory.mktemp("layout")
    jsonl = folder / "in.jsonl"
    jsonl.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in arts),
                     encoding="utf-8")
    d = artpack.train(arts, size=8192)
    assert d.words > 0  # (so the -D variants above carry the word transform)
    dpath = folder / "d.dict"
    d.save(dpath)
    return arts, str(jsonl), d, str(dpath)


@needs_cli
@pytest.mark.parametrize("opts,kw", VARIANTS, ids=[" ".join(o) or "default" for o, _ in VARIANTS])
def test_same_bytes_as_artpack_pack(inputs, tmp_path, opts, kw):
    arts, jsonl, d, dpath = inputs
    kw = {k: (d if v == "D" else v) for k, v in kw.items()}
    if "dictionary" not in kw:
        opts = opts + ["--no-dict"]  # (the CLI would train one on 3 blocks or more)
    # the package does not assign articles to blocks by similarity (a block map):
    # compare with pack's input-order blocks
    opts = opts + ["--no-similar"]
    opts = [dpath if o == "D" else o for o in opts]
    ours = tmp_path / "py.apb"
    with artpack.BundleWriter(ours, **kw) as w:
        w.extend(arts)
    expected_columns = kw.get("codec", "zstd") == "zstd" and kw.get("columns", True)
    for threads in ("1", "2"):
        cli = tmp_path / ("cli-T%s.apb" % threads)
        subprocess.run([CLI, "pack", "-q", "-T", threads] + opts + ["-o", str(cli), jsonl],
                       check=True)
        assert cli.read_bytes() == ours.read_bytes(), (opts, threads)
    named = kw.get("dictionary") if not kw.get("embed_dictionary") else None
    with artpack.Bundle(ours, named) as b:
        assert b.info["columns"] == expected_columns
        assert list(b) == arts
        b.verify()
    # and the CLI reads ours back to the same JSON Lines as it reads its own
    unpack = [CLI, "unpack", "-q"] + (["-D", dpath] if named else [])
    assert subprocess.run(unpack + [str(ours)], check=True, stdout=subprocess.PIPE).stdout == \
        subprocess.run(unpack + [str(cli)], check=True, stdout=subprocess.PIPE).stdout


def test_layouts_read_and_merge(tmp_path, sample_articles):
    arts = sample_articles
    paths = {}
    for name, kw in (("cols", {}), ("cols2", {"columns": True}), ("rows", {"columns": False}),
                     ("lz4", {"codec": "lz4"}), ("lz4cols", {"codec": "lz4", "columns": True})):
        paths[name] = tmp_path / (name + ".apb")
        with artpack.BundleWriter(paths[name], level=1 if "lz4" not in name else None,
                                  block_size=4096, **kw) as w:
            w.extend(arts)
        with artpack.Bundle(paths[name]) as b:
            assert b.info["columns"] == ("cols" in name)
            assert list(b) == arts and b[-1] == arts[-1] and b.find("a00300") == 300
            b.verify()
    assert paths["cols"].read_bytes() == paths["cols2"].read_bytes()
    assert paths["cols"].read_bytes() != paths["rows"].read_bytes()
    # merge keeps the layout: the blocks are copied as they are
    for name in ("cols", "rows", "lz4cols"):
        out = tmp_path / ("m-" + name + ".apb")
        assert artpack.merge([paths[name], paths[name]], out) == 2 * len(arts)
        with artpack.Bundle(out) as b:
            assert b.info["columns"] == ("cols" in name)
            assert list(b) == arts + arts
            b.verify()
    # and refuses to mix two, naming both, leaving nothing behind
    with pytest.raises(artpack.Error) as ei:
        artpack.merge([paths["cols"], paths["rows"]], tmp_path / "mixed.apb")
    assert "columns" in str(ei.value) and "rows" in str(ei.value)
    assert not (tmp_path / "mixed.apb").exists()
    assert not [x for x in os.listdir(tmp_path) if x.endswith(".tmp")]
