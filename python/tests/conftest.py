"""Shared fixtures and hypothesis strategies for the artpack tests.

The package is imported from PYTHONPATH (make python-test points it at
$(B)/python). Hypothesis keeps no example database (nothing written into the
source tree); ARTPACK_HYPOTHESIS_SCALE=N runs N times as many examples.
"""
import json
import os
import subprocess

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile("ci", database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# ARTPACK_HYPOTHESIS_SCALE=N runs N times the examples of every property test
SCALE = max(1, int(os.environ.get("ARTPACK_HYPOTHESIS_SCALE", "1")))


def examples(n):
    """settings(max_examples=n x ARTPACK_HYPOTHESIS_SCALE)."""
    return settings(max_examples=n * SCALE)

# the artpack CLI, for the tests that compare bytes with it (make python-test sets it)
CLI = os.environ.get("ARTPACK_CLI", "")

needs_cli = pytest.mark.skipif(not (CLI and os.access(CLI, os.X_OK)),
                               reason="ARTPACK_CLI (the artpack CLI) not set: make python-test sets it")


def run_cli(*args, stdin=None):
    """Runs the CLI with args (str() of each), stdin bytes; asserts it
    succeeded, naming args and its stderr; returns its stdout bytes."""
    p = subprocess.run([CLI] + [str(a) for a in args], input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    assert p.returncode == 0, (args, p.returncode, p.stderr.decode("utf-8", "replace"))
    return p.stdout


# three hand-made articles: every schema field, a big int, nested extras, a
# date that is not one, a non-ASCII letter
ODD_ARTICLES = [
    {"id": "a1", "url": "https://example.com/1", "date": "2026-11-27",
     "published": "2026-11-27T10:00:00.79+05:30", "title": "Rain", "authors": ["A", "B"],
     "body": ["First paragraph.", "Second \u00e9 paragraph."], "tags": ["x"],
     "extra": {"k": [1, 2.5, None, True, "s"]}, "n": 12345678901234567890},
    {"id": "a2", "title": "Sun", "body": ["Only one."], "date": "not a date", "language": "en"},
    {"id": "a3", "summary": "S", "dateline": "LONDON", "source": "Wire", "author": "C"},
]

KNOWN = ["id", "url", "source", "date", "published", "title", "author", "authors",
         "summary", "dateline", "body", "language", "tags"]

# JSON values as json.loads gives them: no NaN or infinities, str keys
scalars = (st.none() | st.booleans()
           | st.integers(min_value=-(10 ** 60), max_value=10 ** 60)
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=20))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20)

# named functions, not lambdas, in st.builds: this hypothesis reads a
# lambda's source text (for its repr) at every draw, which cost seconds


def _date_text(y, m, d):
    return "%04d-%02d-%02d" % (y, m, d)


def _timestamp_text(d, h, mi, s, frac, zone):
    return "%sT%02d:%02d:%02d%s%s" % (d, h, mi, s, frac, zone)


dates = st.one_of(
    st.builds(_date_text,
              st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)),
    st.sampled_from(["2026-11-27", "1970-01-01", "0000-01-01", "9999-12-31", "2024-02-29",
                     "2023-02-29", "26-11-27", "2026-1-7", "", "2026-11-27 "]))
timestamps = st.one_of(
    st.builds(_timestamp_text,
              dates, st.integers(0, 25), st.integers(0, 61), st.integers(0, 61),
              st.sampled_from(["", ".0", ".79", ".790", ".123456789", ".1234567890"]),
              st.sampled_from(["", "Z", "+05:30", "-00:00", "+23:59", "+24:00", "z", "+0530"])),
    st.sampled_from(["2019-08-29T18:47:00", "2019-08-29T18:47:00Z", "2019-08-29 18:47:00"]))


def _field_value(key):
    if key == "date":
        return dates | json_values
    if key == "published":
        return timestamps | json_values
    if key in ("authors", "body", "tags"):
        return st.lists(st.text(max_size=30), max_size=6) | json_values
    return st.text(max_size=40) | json_values


@st.composite
def articles(draw):
    """A JSON object: some schema fields (mostly of their type, sometimes
    not) and arbitrary other keys (unicode, nested values)."""
    a = {}
    for key in draw(st.lists(st.sampled_from(KNOWN), unique=True, max_size=len(KNOWN))):
        a[key] = draw(_field_value(key))
    extra = draw(st.dictionaries(st.text(max_size=12), json_values, max_size=4))
    for k, v in extra.items():
        a.setdefault(k, v)
    return a


@pytest.fixture(scope="session")
def corpus_dir():
    d = os.environ.get("ARTPACK_CORPUS", os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                                      "shared", "corpus"))
    return d


@pytest.fixture(scope="session")
def sample_articles():
    """A few hundred synthetic but news-like articles (no corpus needed)."""
    out = []
    words = ("market shares rose fell company said percent year government minister "
             "reuters bank oil prices trade talks week report").split()
    for i in range(400):
        body = [" ".join(words[(i * 7 + j * 3 + k) % len(words)] for k in range(25)) + "."
                for j in range(4)]
        out.append({"id": "a%05d" % i, "source": "Wire", "date": "2026-11-%02d" % (1 + i % 28),
                    "published": "2026-11-%02dT%02d:00:00Z" % (1 + i % 28, i % 24),
                    "title": "Story %d: %s %s" % (i, words[i % len(words)], words[(i * 5) % len(words)]),
                    "body": body, "tags": [words[i % 5]], "rank": i, "score": i / 7})
    return out


@pytest.fixture(scope="session")
def dictionary(sample_articles):
    """A 16 KB dictionary trained on sample_articles, trained once."""
    import artpack
    return artpack.train(sample_articles, size=16384)


def load_jsonl(path, limit=None):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
                if limit and len(out) >= limit:
                    break
    return out


def pytest_configure(config):
    # tornado (under distributed) on Debian 12's Python warns about its own event loop
    config.addinivalue_line("filterwarnings",
                            "ignore:make_current is deprecated:DeprecationWarning")
