"""A distributed build on Dask: pack each partition of a dask.bag of articles
into a bundle shard on the workers, then join the shards with artpack.merge
(blocks copied as stored, no recompression).

    import json, dask.bag as db, artpack, artpack.dask
    from distributed import Client
    with artpack.dask.local_cluster(2) as cluster, Client(cluster):
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

local_cluster() starts a distributed.LocalCluster set up for this work (one
thread per worker process, no dashboard, CLUSTER_CONFIG); on a cluster of
your own, give the scheduler and the workers CLUSTER_CONFIG (see its
comment) before they start.
"""
import itertools
import math
import os
import uuid

import dask
from dask.bag.core import Bag
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

from . import BundleWriter, pack as _pack_one, train as _train

__all__ = ["CLUSTER_CONFIG", "local_cluster", "pack", "train"]

#: Dask configuration for a cluster that packs: what a scheduler and its
#: workers do while they wait, made rarer or left out. Packing runs a few
#: long tasks (seconds each) that move no data between workers, so none of
#: it is needed, and on a machine whose cores all pack it takes CPU from the
#: work. Left as Dask has them, an idle LocalCluster of 2 workers costs
#: ~0.07 CPU s per second of wall time (docs/bench/dask.md measures both).
#: Set it before the scheduler and the workers start (local_cluster() does;
#: `dask.config.set(CLUSTER_CONFIG)` around your own LocalCluster, or the
#: same keys in ~/.config/dask/*.yaml or DASK_* environment variables of
#: `dask scheduler` and `dask worker`).
CLUSTER_CONFIG = {
    # the workers' statistical profiler samples every thread 100 times a
    # second (what the dashboard's profile shows)
    "distributed.worker.profile.enabled": False,
    # every server (scheduler, worker, nanny) checks its event loop's
    # health 50 times a second (a warning when a tick is late)
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.tick.limit": "30s",
    # CPU, memory, disk and network counters of each process (psutil)
    "distributed.admin.system-monitor.interval": "5s",
    # the memory checks of workers and nannies (spill, pause, restart):
    # once a second instead of 10 times
    "distributed.worker.memory.monitor-interval": "1s",
    # moving queued tasks between workers (each pack task reads its own
    # input: nothing to gain but the end's balance, which the next line
    # gives) and the memory manager's rounds
    "distributed.scheduler.work-stealing": False,
    "distributed.scheduler.active-memory-manager.start": False,
    # a worker gets its next task when it finishes one (1.1, Dask's
    # default, gives a worker of one thread 2 at a time: at the end one
    # worker could wait while the other has a task queued, and without
    # stealing nothing would move it)
    "distributed.scheduler.worker-saturation": 1.0,
}


def local_cluster(n_workers=None, **kwargs):
    """A distributed.LocalCluster for pack: n_workers worker processes (None:
    one per CPU) of one thread each on 127.0.0.1, no dashboard, started
    under CLUSTER_CONFIG. kwargs go to LocalCluster (and override these).
    Use it with distributed.Client(cluster), as a context manager."""
    from distributed import LocalCluster
    kw = dict(threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
    kw.update(kwargs)
    if n_workers is None:
        n_workers = max(1, (os.cpu_count() or 1) // kw["threads_per_worker"])
    with dask.config.set(CLUSTER_CONFIG):
        return LocalCluster(n_workers=n_workers, **kw)


def _pack_shard(articles, path, dictionary, embed_dictionary, level, codec, block_size,
                columns, words=None):
    """Runs on a worker: one partition -> one bundle at path. Returns
    [(path, count)] (a partition of one item)."""
    with BundleWriter(path, dictionary=dictionary, embed_dictionary=embed_dictionary,
                      level=level, codec=codec, block_size=block_size, columns=columns,
                      words=words) as w:
        w.extend(articles)
        return [(path, w.count)]


def pack(bag, directory, dictionary=None, level=19, embed_dictionary=None, codec="zstd",
         block_size=None, prefix="part", compute=True, columns=None, words=None):
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
    pack). words: BundleWriter's (None: the word transform when the
    dictionary holds a word list, as artpack pack; shards that differ in it
    cannot be merged). compute=False returns a dask.bag of (path, count), one per
    partition, instead of computing it."""
    os.makedirs(directory, exist_ok=True)
    if embed_dictionary is None:
        embed_dictionary = dictionary is not None
    n = bag.npartitions
    width = max(5, len(str(n)))
    folder = os.path.abspath(directory)
    token = tokenize(bag, folder, prefix, dictionary, embed_dictionary, level, codec, block_size,
                     columns, words, os.getpid(), uuid.uuid4().hex)
    name = "artpack-pack-" + token
    dsk = {}
    for i in range(n):
        path = os.path.join(folder, "%s-%0*d.apb" % (prefix, width, i))
        # the dictionary goes in each task (a dictionary's bytes, ~110 KB):
        # as a key of its own it would be a second dependency, and Bag's
        # optimisation fuses only a chain of single dependencies
        dsk[(name, i)] = (_pack_shard, (bag.name, i), path, dictionary, embed_dictionary, level,
                          codec, block_size, columns, words)
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


def train(bag, sample=None, size=112640, level=19, seed=0, words=True):
    """Trains a dictionary (artpack.train) on a sample of bag: the articles are
    packed to records on the workers and the records trained on here.

    sample: None: every article; an int n: about n articles, the first
    n / npartitions of each partition; a float in (0, 1]: that fraction of
    the articles, drawn at random (random_state=seed). words: train's (True:
    with a word list, as artpack train; False: none)."""
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
    return _train(records, size=size, level=level, words=words)
