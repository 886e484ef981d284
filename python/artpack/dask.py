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

import dask

from . import BundleWriter, Dictionary, pack as _pack_one, train as _train

__all__ = ["pack", "train"]


def _pack_shard(articles, path, dictionary, embed_dictionary, level, codec, block_size):
    """Runs on a worker: one partition -> one bundle at path."""
    with BundleWriter(path, dictionary=dictionary, embed_dictionary=embed_dictionary,
                      level=level, codec=codec, block_size=block_size) as w:
        w.extend(articles)
        return (path, w.count)


def pack(bag, directory, dictionary=None, level=19, embed_dictionary=None, codec="zstd",
         block_size=None, prefix="part", compute=True):
    """Packs every partition of bag (a dask.bag of article dicts) into a bundle
    shard directory/PREFIX-NNNNN.apb on the workers, and returns the shard
    paths in the bag's order (artpack.merge(paths, out) joins them into one
    bundle holding the articles in the bag's order).

    dictionary: an artpack.Dictionary (sent to each worker once), or None.
    embed_dictionary: None embeds it when there is one. level: zstd 19 by
    default. compute=False returns a list of dask.delayed (path, count)
    instead of computing them."""
    os.makedirs(directory, exist_ok=True)
    if embed_dictionary is None:
        embed_dictionary = dictionary is not None
    parts = bag.to_delayed()
    width = max(5, len(str(len(parts))))
    d = dask.delayed(dictionary, pure=True) if dictionary is not None else None
    tasks = []
    for i, part in enumerate(parts):
        path = os.path.join(os.path.abspath(directory), "%s-%0*d.apb" % (prefix, width, i))
        tasks.append(dask.delayed(_pack_shard, pure=False)(
            part, path, d, embed_dictionary, level, codec, block_size,
            dask_key_name="artpack-pack-%s-%d" % (dask.base.tokenize(path, os.getpid()), i)))
    if not compute:
        return tasks
    return [p for p, _ in dask.compute(*tasks)]


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
