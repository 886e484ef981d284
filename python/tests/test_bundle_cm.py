"""CM bundles (`artpack pack --cm -D MODEL`) read from Python: Bundle goes
through the library's reader, which primes the model once and decodes each
block from the primed state; the model named (a Dictionary of the model
file) or embedded. The bundles are made by $ARTPACK_CLI (make python-test
sets it), the model by `artpack train --cm -1`."""
import json

import artpack
import pytest
from conftest import needs_cli, run_cli


WORDS = ("the minister said prices of oil rose percent in trading shares company "
         "government officials told reporters market bank billion growth").split()


def _articles(n, seed):
    out = []
    for i in range(n):
        body = [" ".join(WORDS[(i * 7 + k * seed) % len(WORDS)] for k in range(40 + (i * seed) % 60))
                for _ in range(2)]
        out.append({"id": "s%d-%d" % (seed, i), "title": "Title %d %s" % (i, WORDS[i % len(WORDS)]),
                    "body": body, "source": "Wire"})
    return out


@needs_cli
def test_cm_bundles(tmp_path):
    train, arts = tmp_path / "train.jsonl", tmp_path / "a.jsonl"
    train.write_text("".join(json.dumps(a) + "\n" for a in _articles(200, 3)))
    arts.write_text("".join(json.dumps(a) + "\n" for a in _articles(40, 5)))
    model = tmp_path / "m.cm"
    run_cli("train", "--cm", "-1", "--size", "8K", "-o", model, train)
    named, embedded = tmp_path / "n.apb", tmp_path / "e.apb"
    run_cli("pack", "--cm", "-D", model, "--block-size", "2K", "-o", named, arts)
    run_cli("pack", "--cm", "-D", model, "--embed-dict", "-o", embedded, arts)
    want = _articles(40, 5)
    d = artpack.Dictionary.load(model)
    with artpack.Bundle(named, dictionary=d) as b:
        assert b.info["codec"] == "cm"
        assert len(b) == 40
        assert list(b) == want
        assert [b[i] for i in (39, 0, 17, 3)] == [want[i] for i in (39, 0, 17, 3)]
        assert b.get_id("s5-12") == want[12]
        b.verify()
    with artpack.Bundle(embedded) as b:
        assert list(b) == want
        assert b.dictionary.id == d.id
    with pytest.raises(artpack.DictionaryError):
        artpack.Bundle(named)
