"""Bundles whose articles `artpack pack` assigned to blocks by similarity
(its default: a block map in the index, docs/FORMAT.md "Block map"): the
package's Bundle reads every article by its number, finds ids, verifies, and
its merge keeps the map (with or without word envelopes). BundleWriter
writes no map (test_layout.py compares it with `pack --no-similar`). The CLI
is $ARTPACK_CLI (make python-test sets it)."""
import json
import subprocess

import artpack
import pytest

from conftest import CLI, needs_cli


def _cli(*args):
    p = subprocess.run([CLI] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    assert p.returncode == 0, (args, p.returncode, p.stderr.decode("utf-8", "replace"))
    return p.stdout


TOPICS = ("football goal striker league match coach season referee",
          "inflation bond yield central rates currency deficit treasury",
          "software chip network startup browser server laptop broadband",
          "film actor festival album singer director award theatre")


@pytest.fixture(scope="module")
def sample_articles():
    """300 articles of four topics, interleaved (article i of topic i * 7 // 3
    % 4): similarity has something to regroup. Deterministic."""
    out = []
    for i in range(300):
        words = TOPICS[(i * 7 // 3) % 4].split()
        body = " ".join(words[(i * 5 + k * 3) % 8] + ("s" if (i + k) % 3 == 0 else "")
                        for k in range(60 + i % 40))
        out.append({"id": "t%04d" % i, "title": "%s %s %d" % (words[i % 8], words[(i + 3) % 8], i),
                    "body": [body], "date": "2026-11-%02d" % (1 + i % 28)})
    return out


@pytest.fixture(scope="module")
def packed(sample_articles, tmp_path_factory):
    """Bundles packed by the CLI in 2 KB blocks (many blocks per window, so
    that the map moves articles), with and without the map and the word
    transform."""
    d = tmp_path_factory.mktemp("sim")
    src = d / "a.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in sample_articles), encoding="utf-8")
    _cli("train", "-q", "--size", "16K", "-o", d / "d.dict", src)
    for name, opts in (("sim", ()), ("sim-plain", ("--no-words",)), ("sim-rows", ("--rows",)),
                       ("sim-lz4", ("--lz4",)), ("order", ("--no-similar",))):
        _cli("pack", "-q", "--block-size", "2K", *opts, "-D", d / "d.dict", "-o",
             d / (name + ".apb"), src)
    return d, artpack.Dictionary.load(d / "d.dict")


def _moved(d, name, count):
    """How many articles the CLI's ls puts in another block than in-order
    packing would (a map that moves nothing would test nothing)."""
    out = _cli("ls", "--json", "-D", d / "d.dict", d / (name + ".apb")).decode()
    blocks = [json.loads(line)["block"] for line in out.splitlines() if line]
    assert len(blocks) == count
    return sum(1 for a, b in zip(blocks, blocks[1:]) if b < a)


@needs_cli
@pytest.mark.parametrize("name", ["sim", "sim-plain", "sim-rows", "sim-lz4", "order"])
def test_bundle_reads_block_map(packed, sample_articles, name):
    d, dictionary = packed
    with artpack.Bundle(d / (name + ".apb"), dictionary) as b:
        assert b.info["similar"] == (name != "order")
        assert b.info["words"] == (name != "sim-plain")
        assert list(b) == sample_articles
        for i in (0, len(b) // 3, len(b) - 1):
            assert b[i] == sample_articles[i]
        assert b[::-1] == sample_articles[::-1]
        for i in (0, len(b) // 2, len(b) - 1):
            if "id" in sample_articles[i]:
                assert b.find(sample_articles[i]["id"]) == \
                    [a.get("id") for a in sample_articles].index(sample_articles[i]["id"])
        b.verify()
    if name != "order":
        assert _moved(d, name, len(sample_articles)) > 0, "the map moved no article"


@needs_cli
@pytest.mark.parametrize("names", [("sim", "sim"), ("order", "sim"), ("sim-plain", "sim-plain")])
def test_merge_keeps_block_map(packed, sample_articles, tmp_path, names):
    """merge copies the blocks as they are, and the map with them: the
    articles keep their numbers, the output has a map when a source has one."""
    d, dictionary = packed
    out = tmp_path / "m.apb"
    assert artpack.merge([d / (n + ".apb") for n in names], out, dictionary) == \
        2 * len(sample_articles)
    with artpack.Bundle(out, dictionary) as m:
        assert m.info["similar"]
        assert list(m) == sample_articles + sample_articles
        m.verify()
    # the CLI reads it back the same
    got = _cli("unpack", "-q", "-D", d / "d.dict", out).decode().splitlines()
    assert [json.loads(line) for line in got] == sample_articles + sample_articles
