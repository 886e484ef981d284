"""make bench-dask: a distributed build on Dask against one process.

N articles (default 200,000) generated from the corpus files (each corpus
article again with a unique id, in a fixed order) as one JSON Lines file;
one dictionary (artpack.train on reuters_financial.jsonl); then, in the same
run, the same JSON Lines packed into a bundle (zstd -19 by default, the
dictionary embedded) by:
  - the CLI, `artpack pack -T 1`;
  - the Python package in one process (json.loads + BundleWriter.extend);
  - the same with BundleWriter(jobs=2) (2 blocks compressed at once on
    threads; checked to write the same bytes);
  - a control: two plain processes (multiprocessing), one half each, merged;
  - Dask: artpack.dask.local_cluster(2) (a LocalCluster of 2 worker
    processes x 1 thread on 127.0.0.1 under artpack.dask.CLUSTER_CONFIG,
    the README's setup), db.read_text(blocksize) -> json.loads ->
    artpack.dask.pack -> shards, then artpack.merge (counted in its time;
    cluster start-up is not).
Before the Dask row, what an idle cluster costs (CPU seconds per second of
wall time) is measured for 15 s with Dask's default configuration and with
CLUSTER_CONFIG.
Checks that the merged bundle holds exactly the same records in the same
order as the single-process one (and the CLI's), and writes a Markdown
table to --out, with the load average sampled during each row and each
row's CPU seconds against one process (the bound that sets on a speedup).

Environment: ARTPACK (the CLI), CORPUS, BENCH_DASK_N, BENCH_DASK_LEVEL,
BENCH_DASK_WORK (scratch folder), BENCH_DASK_BLOCKSIZE (bytes of JSON per
partition; default: the JSON cut in an even number of equal partitions of
about 8 MiB, so that the 2 workers get the same share and finish together).
"""
import argparse
import glob
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time

import artpack
import artpack.dask


IDLE_SECONDS = 15


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu_self():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def generate(corpus, n, path):
    files = sorted(glob.glob(os.path.join(corpus, "*.jsonl")))
    if not files:
        sys.exit("bench-dask: no *.jsonl in %s (set CORPUS)" % corpus)
    lines = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            lines += [json.loads(l) for l in fh if l.strip()]
    total = 0
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            a = dict(lines[i % len(lines)])
            a["id"] = "%s#%d" % (a.get("id", "x"), i // len(lines))
            s = json.dumps(a, ensure_ascii=False) + "\n"
            total += len(s.encode("utf-8"))
            out.write(s)
    return total, len(files)


class LoadSampler:
    """The 1-minute load average every 5 s, in a thread: what the machine's
    other users did during each row (the machine is shared)."""

    def __init__(self):
        import threading
        self.samples = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            self.samples.append((time.time(), os.getloadavg()[0]))
            self._stop.wait(5)

    def between(self, t0, t1):
        v = [l for t, l in self.samples if t0 <= t <= t1]
        return (sum(v) / len(v), max(v)) if v else (os.getloadavg()[0],) * 2

    def stop(self):
        self._stop.set()
        self._t.join()


def same_records(p1, p2):
    with artpack.Bundle(p1) as a, artpack.Bundle(p2) as b:
        if len(a) != len(b):
            return False
        for i in range(len(a)):
            if a.record(i) != b.record(i):
                return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    corpus = os.environ.get("CORPUS", "../shared/corpus")
    cli = os.environ.get("ARTPACK", "build/artpack")
    n = int(os.environ.get("BENCH_DASK_N", "200000"))
    level = int(os.environ.get("BENCH_DASK_LEVEL", "19"))
    blocksize = int(os.environ.get("BENCH_DASK_BLOCKSIZE", "0"))
    work = os.environ.get("BENCH_DASK_WORK", "build/bench-dask")
    load_before = os.getloadavg()[0]
    sampler = LoadSampler()
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    jsonl = os.path.join(work, "articles.jsonl")
    t = time.time()
    json_bytes, nfiles = generate(corpus, n, jsonl)
    print("bench-dask: %d articles, %d B of JSON Lines from %d corpus files (%.1f s)"
          % (n, json_bytes, nfiles, time.time() - t), flush=True)
    if blocksize <= 0:
        # (read_text cuts size // blocksize parts of equal size)
        pairs = max(1, round(json_bytes / (2 * (8 << 20))))
        blocksize = json_bytes // (2 * pairs)
    train_on = os.path.join(corpus, "reuters_financial.jsonl")
    with open(train_on, encoding="utf-8") as fh:
        d = artpack.train([json.loads(l) for l in fh if l.strip()])
    dict_path = os.path.join(work, "news.dict")
    d.save(dict_path)
    rows = []

    # 1. the CLI, one thread
    out_cli = os.path.join(work, "cli.apb")
    c0, t0 = cpu_children(), time.time()
    subprocess.run([cli, "pack", "-q", "-T", "1", "-%d" % level, "-D", dict_path, "--embed-dict",
                    "-o", out_cli, jsonl], check=True)
    rows.append(("`artpack pack -T 1`", time.time() - t0, cpu_children() - c0, out_cli, t0,
                 time.time()))
    print("cli: %.1f s" % rows[-1][1], flush=True)

    # 2. the Python package, one process; then the same with the parallel
    # writer (2 blocks compressed at once)
    for name, out, jobs in (("Python package, one process", "python.apb", 1),
                            ("Python package, one process, `BundleWriter(jobs=2)`",
                             "python-jobs2.apb", 2)):
        out = os.path.join(work, out)
        c0, t0 = cpu_self(), time.time()
        with open(jsonl, encoding="utf-8") as fh, \
                artpack.BundleWriter(out, dictionary=d, embed_dictionary=True, level=level,
                                     jobs=jobs) as w:
            w.extend(json.loads(l) for l in fh)
        rows.append((name, time.time() - t0, cpu_self() - c0, out, t0, time.time()))
        print("python jobs=%d: %.1f s" % (jobs, rows[-1][1]), flush=True)
    out_py, out_jobs = rows[1][3], rows[2][3]

    # control: two plain processes (multiprocessing, no Dask), one half each,
    # merged: how much of 2 cores this machine gives right now
    halves = [os.path.join(work, "half%d.jsonl" % k) for k in (0, 1)]
    with open(jsonl, encoding="utf-8") as fh:
        all_lines = fh.readlines()
    for k, h in enumerate(halves):
        with open(h, "w", encoding="utf-8") as f:
            f.writelines(all_lines[k * (n // 2):(n // 2 if k == 0 else n)])
    del all_lines
    import multiprocessing
    out_mp = os.path.join(work, "two-processes.apb")
    c0, t0 = cpu_children(), time.time()
    procs = [multiprocessing.Process(target=_pack_file, args=(h, h + ".apb", dict_path, level))
             for h in halves]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    artpack.merge([h + ".apb" for h in halves], out_mp)
    rows.append(("control: 2 plain processes, one half each, merged", time.time() - t0,
                 cpu_children() - c0 + 0.0, out_mp, t0, time.time()))
    print("two processes: %.1f s" % rows[-1][1], flush=True)

    # 3. Dask, 2 workers x 1 thread, the README's cluster setup; first what
    # an idle cluster costs with Dask's own configuration
    import dask.bag as db
    from distributed import Client, LocalCluster
    out_dask = os.path.join(work, "dask.apb")
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        idle_default = _idle_rate(client)
    with artpack.dask.local_cluster(2) as cluster, Client(cluster) as client:
        idle_rate = _idle_rate(client)
        pids = list(client.run(os.getpid).values())
        c0, t0 = sum(_proc_cpu(p) for p in pids) + cpu_self(), time.time()
        bag = db.read_text(jsonl, blocksize=blocksize).map(json.loads)
        shards = artpack.dask.pack(bag, os.path.join(work, "shards"), dictionary=d, level=level)
        t_pack = time.time() - t0
        artpack.merge(shards, out_dask)
        wall = time.time() - t0
        cpu = sum(_proc_cpu(p) for p in pids) + cpu_self() - c0
    rows.append(("Dask, 2 workers x 1 thread (%d shards, merged)" % len(shards), wall, cpu, out_dask,
                 t0, t0 + wall))
    print("dask: %.1f s (pack %.1f s, merge %.1f s); the idle cluster: %.3f CPU s per s "
          "(%.3f with Dask's default configuration)"
          % (wall, t_pack, wall - t_pack, idle_rate, idle_default), flush=True)

    load_after = os.getloadavg()[0]
    sampler.stop()
    same_py = same_records(out_py, out_dask)
    same_cli = same_records(out_cli, out_dask)
    with open(out_py, "rb") as a, open(out_jobs, "rb") as b:
        same_jobs = a.read() == b.read()
    base = rows[1][1]
    base_cpu = rows[1][2]
    speedup = base / wall
    lines = []
    lines.append("# bench-dask: a distributed build on Dask against one process\n")
    lines.append("`make bench-dask` (python/bench/bench_dask.py), %s, %d CPUs, Python %s, "
                 "load average before the run %.2f.\n"
                 % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.cpu_count(),
                    platform.python_version(), load_before))
    lines.append("%d articles generated from the %d corpus files (unique ids), %s B of JSON Lines; "
                 "zstd -%d, the 110 KB dictionary trained on reuters_financial.jsonl, embedded. "
                 "Dask: `artpack.dask.local_cluster(2)`, a LocalCluster of 2 worker processes "
                 "x 1 thread on 127.0.0.1 under `artpack.dask.CLUSTER_CONFIG` (the README's "
                 "setup), `db.read_text(blocksize=%d)` → `json.loads` → `artpack.dask.pack` → "
                 "`artpack.merge` (merge included, cluster start-up not). CPU: user + system "
                 "seconds of the processes doing the work (for Dask: the 2 workers and this "
                 "process, which holds the scheduler, the nannies and the client, and merges).\n"
                 % (n, nfiles, format(json_bytes, ","), level, blocksize))
    lines.append("| method | wall s | CPU s | bundle bytes | load average during it (mean, max) "
                 "| speedup vs one Python process | CPU s vs one Python process |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for name, wall_s, cpu_s, path, t0, t1 in rows:
        lmean, lmax = sampler.between(t0, t1)
        lines.append("| %s | %.1f | %.1f | %s | %.1f, %.1f | %.2f × | %.2f × |"
                     % (name, wall_s, cpu_s, format(os.path.getsize(path), ","), lmean, lmax,
                        base / wall_s, cpu_s / base_cpu))
    lines.append("")
    lines.append("The machine is shared (2 CPUs, other engineers' builds and tests): when the "
                 "load average is above 2, a row got less than its share of the CPUs, and the "
                 "rows ran at different loads, so the wall-time speedups compare unlike "
                 "conditions. CPU seconds do not depend on the load as much: a build that "
                 "needs c times the CPU seconds of one process cannot run more than 2 / c "
                 "times faster on 2 idle CPUs (bound for Dask in this run: **%.2f ×**; for "
                 "the plain processes: %.2f ×; for jobs=2: %.2f ×). `BundleWriter(jobs=2)` "
                 "wrote the same bytes as the one-process writer: **%s**."
                 % (2 * base_cpu / rows[-1][2], 2 * base_cpu / rows[3][2],
                    2 * base_cpu / rows[2][2], "yes" if same_jobs else "NO"))
    lines.append("")
    work_cpu = cpu - idle_rate * wall
    lines.append("Where Dask's extra CPU goes: the cluster costs CPU doing nothing (heartbeats, "
                 "the event loops of the workers, nannies and scheduler, the client, and with "
                 "Dask's default configuration the workers' profiler, 50 event-loop checks a "
                 "second in each process and work stealing). Measured idle for %d s each just "
                 "before the Dask row: **%.3f CPU s per second of wall time** with "
                 "`artpack.dask.CLUSTER_CONFIG`, %.3f with Dask's defaults; a cost that grows "
                 "with the wall time, not with the articles, so the load of the machine "
                 "inflates it: over the Dask row's %.1f s it is %.1f of its %.1f CPU s. "
                 "Without it Dask's work is %.1f CPU s, **%.2f ×** one process; on 2 idle "
                 "CPUs, where the row would last about that work / (2 − %.3f) s, the bound is "
                 "**%.2f ×** (%.2f × with the default configuration's idle cost)."
                 % (IDLE_SECONDS, idle_rate, idle_default, wall, idle_rate * wall, cpu, work_cpu,
                    work_cpu / base_cpu, idle_rate, (2 - idle_rate) * base_cpu / work_cpu,
                    (2 - idle_default) * base_cpu / work_cpu))
    lines.append("")
    lines.append("Merged Dask bundle: the same records in the same order as the one-process "
                 "Python bundle: **%s**; as the CLI's bundle: **%s**. "
                 "Target: 2 workers ≥ 1.7 × one process: **%s** (%.2f ×). The control row "
                 "(the same job split in two plain processes, no Dask) shows how much of two "
                 "cores the machine gave in this run (%.2f ×; load average after the run "
                 "%.2f): Dask's speedup is bounded by it."
                 % ("yes" if same_py else "NO", "yes" if same_cli else "NO",
                    "met" if speedup >= 1.7 else "not met", speedup, base / rows[3][1],
                    load_after))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    shutil.rmtree(os.path.join(work, "shards"), ignore_errors=True)
    return 0 if same_py and same_jobs else 1


def _pack_file(src, dst, dict_path, level):
    d = artpack.Dictionary.load(dict_path)
    with open(src, encoding="utf-8") as fh, \
            artpack.BundleWriter(dst, dictionary=d, embed_dictionary=True, level=level) as w:
        w.extend(json.loads(l) for l in fh)


def _idle_rate(client):
    """What the cluster costs doing nothing (heartbeats, event loops, the
    workers' profiler): CPU seconds of its processes (the 2 workers, and
    this one: scheduler, nannies, client) per second of wall time, over
    IDLE_SECONDS after the workers imported artpack."""
    client.run(lambda: __import__("artpack"))  # workers warm
    pids = list(client.run(os.getpid).values())
    c0, t0 = sum(_proc_cpu(p) for p in pids) + cpu_self(), time.time()
    time.sleep(IDLE_SECONDS)
    return (sum(_proc_cpu(p) for p in pids) + cpu_self() - c0) / (time.time() - t0)


def _proc_cpu(pid):
    """user + system seconds of a live process (Linux /proc)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / tick
    except OSError:
        return 0.0


if __name__ == "__main__":
    sys.exit(main())
