"""The README's Python example runs as written (issue 15's acceptance): the
first python block of its Python section, then the streams example (which
uses its d and articles), in a temporary folder, on the first 300 articles of
the corpus's bbc.jsonl (the code as written; the whole file, zstd -19
throughout, cost 5 s of CPU for the same checks)."""
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _python_blocks(text):
    out, rest = [], text
    while "```python\n" in rest:
        rest = rest.split("```python\n", 1)[1]
        body, rest = rest.split("```", 1)
        out.append(textwrap.dedent(body))  # (a block inside a list item is indented)
    return out


def test_readme_python_example(corpus_dir, tmp_path):
    if not os.path.exists(os.path.join(corpus_dir, "bbc.jsonl")):
        pytest.skip("no corpus at %s (ARTPACK_CORPUS)" % corpus_dir)
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("\n## Python\n"):]
    section = section[:section.index("\n## ", 1)]
    blocks = _python_blocks(section)
    main = blocks[0]
    streams = [b for b in blocks if "StreamWriter(" in b]
    assert "artpack.train(" in main and streams, "the README's Python examples moved"
    small = tmp_path / "corpus"
    small.mkdir()
    with open(os.path.join(corpus_dir, "bbc.jsonl"), encoding="utf-8") as f:
        (small / "bbc.jsonl").write_text("".join(f.readline() for _ in range(300)),
                                         encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, ARTPACK_CORPUS=str(small))
    p = subprocess.run([sys.executable, "-c", main + "\n" + streams[0]], cwd=str(work), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert p.returncode == 0, p.stdout[-3000:]
    # it printed the dictionary ID and the error's name and position
    assert "ARTPACK_E_TRUNCATED" in p.stdout, p.stdout
    assert sorted(os.listdir(str(work))) == ["bbc.apb", "bbc.apz", "news.dict", "twice.apb"]
