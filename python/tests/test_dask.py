"""artpack.dask on a LocalCluster (2 workers, 1 thread each, 127.0.0.1)."""
import json
import os

import artpack
import pytest

dask = pytest.importorskip("dask", reason="python3-dask not installed")
db = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed", reason="python3-distributed not installed")
import artpack.dask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    """The README's setup: artpack.dask.local_cluster (2 worker processes x 1
    thread on 127.0.0.1, CLUSTER_CONFIG)."""
    with artpack.dask.local_cluster(2) as cluster, distributed.Client(cluster) as c:
        yield c


def _profiling(dask_worker):
    return ("profile" in dask_worker.periodic_callbacks,
            dask_worker.periodic_callbacks["tick"].callback_time,
            dask.config.get("distributed.worker.memory.monitor-interval"))


def _stealing(dask_scheduler):
    return ("stealing" in dask_scheduler.extensions,
            dask_scheduler.periodic_callbacks["tick"].callback_time,
            dask_scheduler.WORKER_SATURATION)


def test_local_cluster_config(client):
    """local_cluster's workers (separate processes) and scheduler run under
    CLUSTER_CONFIG, not Dask's defaults (profiler on, a tick every 20 ms,
    memory checked every 100 ms, work stealing, 2 tasks at a time for a
    worker of one thread), and only while they start:
    the configuration of this process is left as it was."""
    info = client.scheduler_info()
    assert len(info["workers"]) == 2
    assert all(w["nthreads"] == 1 for w in info["workers"].values())
    assert set(client.run(os.getpid).values()).isdisjoint({os.getpid()})
    assert list(client.run(_profiling).values()) == [(False, 1000, "1s")] * 2
    assert client.run_on_scheduler(_stealing) == (False, 1000, 1.0)
    assert dask.config.get("distributed.worker.profile.enabled") is True
    assert dask.config.get("distributed.admin.tick.interval") == "20ms"


def test_dask_pack_merge_train(client, sample_articles, tmp_path):
    bag = db.from_sequence(sample_articles, npartitions=5)
    d = artpack.dask.train(bag, sample=300, size=16384)
    assert isinstance(d, artpack.Dictionary) and d.words > 0  # a word list, as artpack train
    paths = artpack.dask.pack(bag, tmp_path / "shards", dictionary=d, level=3)
    assert len(paths) == 5 and all(p.endswith(".apb") for p in paths)
    out = tmp_path / "all.apb"
    assert artpack.merge(paths, out) == len(sample_articles)
    with artpack.Bundle(out) as b:
        assert b.info["dict_id"] == d.id and b.info["dict_embedded"] and b.info["words"]
        assert list(b) == sample_articles
        b.verify()
    # the same articles, in the same order, as one process packing them alone
    single = tmp_path / "single.apb"
    with artpack.BundleWriter(single, dictionary=d, embed_dictionary=True, level=3) as w:
        w.extend(sample_articles)
    with artpack.Bundle(single) as s, artpack.Bundle(out) as m:
        assert [s.record(i) for i in range(len(s))] == [m.record(i) for i in range(len(m))]


def test_dask_from_jsonl(client, sample_articles, tmp_path):
    files = []
    for k in range(3):
        p = tmp_path / ("in%d.jsonl" % k)
        p.write_text("".join(json.dumps(a) + "\n" for a in sample_articles[k::3]))
        files.append(str(p))
    bag = db.read_text(files).map(json.loads)
    d = artpack.dask.train(bag, sample=0.5, size=8192, words=False)
    assert d.words == 0
    paths = artpack.dask.pack(bag, tmp_path / "s", dictionary=d, level=1)
    artpack.merge(paths, tmp_path / "m.apb")
    expected = [a for k in range(3) for a in sample_articles[k::3]]
    with artpack.Bundle(tmp_path / "m.apb") as b:
        assert list(b) == expected


def test_dask_threads_no_dictionary(sample_articles, tmp_path):
    bag = db.from_sequence(sample_articles[:50], npartitions=3)
    with dask.config.set(scheduler="threads"):
        paths = artpack.dask.pack(bag, tmp_path, level=1, prefix="t")
    artpack.merge(paths, tmp_path / "m.apb")
    with artpack.Bundle(tmp_path / "m.apb") as b:
        assert list(b) == sample_articles[:50] and b.info["dict_id"] == 0


def test_dask_pack_one_task_per_partition(client, sample_articles, tmp_path):
    """A partition is read, parsed and packed by one task (Bag's graph
    optimisation fuses the chain): the articles never leave the worker that
    reads them, only each shard's (path, count) does."""
    from dask.base import collections_to_dsk
    from dask.core import istask
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in sample_articles))
    bag = db.read_text(str(src), blocksize=20000).map(json.loads)
    assert bag.npartitions >= 4
    d = artpack.train(sample_articles, size=8192)
    shards = artpack.dask.pack(bag, tmp_path / "s", dictionary=d, level=1, compute=False)
    graph = collections_to_dsk([shards], optimize_graph=True)
    tasks = [t for t in graph.values() if istask(t)]
    assert len(tasks) == bag.npartitions
    assert all(t[0] is artpack.dask._pack_shard and t[3] == d for t in tasks)
    done = client.compute(shards).result()
    assert [c for _, c in done] and sum(c for _, c in done) == len(sample_articles)
    artpack.merge([p for p, _ in done], tmp_path / "m.apb")
    with artpack.Bundle(tmp_path / "m.apb") as b:
        assert list(b) == sample_articles and b.info["columns"]


def test_dask_pack_words_passed_on(sample_articles, dictionary, tmp_path):
    """pack's words goes to each shard's BundleWriter: None (the default)
    applies the dictionary's word transform, False leaves it out."""
    bag = db.from_sequence(sample_articles[:60], npartitions=2)
    assert dictionary.words > 0
    with dask.config.set(scheduler="threads"):
        for words in (None, False):
            paths = artpack.dask.pack(bag, tmp_path / str(words), dictionary=dictionary,
                                      level=1, words=words)
            out = tmp_path / ("m-%s.apb" % words)
            artpack.merge(paths, out)
            with artpack.Bundle(out) as b:
                assert b.info["words"] == (words is None)
                assert list(b) == sample_articles[:60]
