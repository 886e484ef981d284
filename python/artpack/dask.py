"""A distributed build on Dask: pack each partition of a dask.bag of articles
into a bundle shard on the workers, then join the shards with artpack.merge
(blocks copied as stored, no recompression).

    import json, dask.bag as db, artpack, artpack.dask
    bag = db.read_text("articles-*.jsonl", blocksize="64MiB").map(json.loads)
    d = artpack.dask.train(bag, sample=20000)
    shards = artpack.dask.pack(bag, "shards/", dictionary=d, level=19)
    artpack.merge(shards, "archive.apb")

Whatever scheduler is active runs it: a distributed.Client (a LocalCluster,
or a real cluster by its scheduler address), or dask's threads (the
compression releases the GIL). Needs Debian's python3-dask (and
python3-distributed for a cluster). Workers must import artpack: install the
package on them (or give them the same PYTHONPATH), and the shard directory
must be one they can all write and the client can read (a shared file
system), as for any Dask output.
"""
import itertools
import math
import os
import uuid

from dask.bag.core import Bag
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

from . import BundleWriter, pack as _pack_one, train as _train

__all__ = ["pack", "train"]


def _pack_shard(articles, path, dictionary, embed_dictionary, level, codec, block_size,
                columns):
    """Runs on a worker: one partition -> one bundle at path. Returns
    [(path, count)] (a partition of one item)."""
    with BundleWriter(path, dictionary=dictionary, embed_dictionary=embed_dictionary,
                      level=level, codec=codec, block_size=block_size, columns=columns) as w:
        w.extend(articles)
        return [(path, w.count)]


def pack(bag, directory, dictionary=None, level=19, embed_dictionary=None, codec="zstd",
         block_size=None, prefix="part", compute=True, columns=None):
    """Packs every partition of bag (a dask.bag of article dicts) into a bundle
    shard directory/PREFIX-NNNNN.apb on the workers, and returns the shard
    paths in the bag's order (artpack.merge(paths, out) joins them into one
    bundle holding the articles in the bag's order).

    Each shard is written by the task that makes its partition (for
    db.read_text(...).map(json.loads): reads its block of the file, parses
    it and packs it, the articles streamed into the writer): only the
    shard's path and count leave the worker, never the articles.

    dictionary: an artpack.Dictionary (sent with each task), or None.
    embed_dictionary: None embeds it when there is one. level: zstd 19 by
    default. columns: BundleWriter's (None: columnar for zstd, as artpack
    pack). compute=False returns a dask.bag of (path, count), one per
    partition, instead of computing it."""
    os.makedirs(directory, exist_ok=True)
    if embed_dictionary is None:
        embed_dictionary = dictionary is not None
    n = bag.npartitions
    width = max(5, len(str(n)))
    folder = os.path.abspath(directory)
    token = tokenize(bag, folder, prefix, dictionary, embed_dictionary, level, codec, block_size,
                     columns, os.getpid(), uuid.uuid4().hex)
    name = "artpack-pack-" + token
    dsk = {}
    for i in range(n):
        path = os.path.join(folder, "%s-%0*d.apb" % (prefix, width, i))
        # the dictionary goes in each task (a dictionary's bytes, ~110 KB):
        # as a key of its own it would be a second dependency, and Bag's
        # optimisation fuses only a chain of single dependencies
        dsk[(name, i)] = (_pack_shard, (bag.name, i), path, dictionary, embed_dictionary, level,
                          codec, block_size, columns)
    # a Bag over the bag's graph: Bag's optimisation fuses each partition's
    # chain (read, parse, pack) into one task
    shards = Bag(HighLevelGraph.from_collections(name, dsk, dependencies=[bag]), name, n)
    if not compute:
        return shards
    return [p for p, _ in shards.compute()]


def _records_head(articles, k):
    return [_pack_one(a) for a in itertools.islice(articles, k)]


def _records_all(articles):
    return [_pack_one(a) for a in articles]


def train(bag, sample=None, size=112640, level=19, seed=0):
    """Trains a dictionary (artpack.train) on a sample of bag: the articles are
    packed to records on the workers and the records trained on here.

    sample: None: every article; an int n: about n articles, the first
    n / npartitions of each partition; a float in (0, 1]: that fraction of
    the articles, drawn at random (random_state=seed)."""
    if sample is None:
        recs = bag.map_partitions(_records_all)
    elif isinstance(sample, float):
        if not 0 < sample <= 1:
            raise ValueError("sample as a fraction is in (0, 1]")
        recs = bag.random_sample(sample, random_state=seed).map_partitions(_records_all)
    else:
        n = int(sample)
        if n < 1:
            raise ValueError("sample is a positive number of articles")
        k = max(1, math.ceil(n / bag.npartitions))
        recs = bag.map_partitions(_records_head, k)
    records = recs.compute()
    if isinstance(sample, int) and len(records) > sample:
        records = records[:sample]
    return _train(records, size=size, level=level)
