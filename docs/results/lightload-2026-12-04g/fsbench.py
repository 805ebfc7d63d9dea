"""The metrics snapshot's file work on one filesystem: N x (SnapshotWriter.write of a changing
snapshot) at a given rate, measuring the writer thread's CPU, the whole machine's CPU split from
/proc/stat (incl. iowait/irq/softirq/steal) and the block device's I/O from /proc/diskstats.
usage: fsbench.py DIR N RATE_PER_S"""
import os
import sys
import tempfile
import time

from vllm_nexus.programs.metrics import SchedulerMetrics, SnapshotWriter

FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def cpu():
    vals = open("/proc/stat").readline().split()[1:9]
    return dict(zip(FIELDS, (int(v) for v in vals), strict=True))


def disk(dev="vda"):
    for line in open("/proc/diskstats"):
        f = line.split()
        if f[2] == dev:
            # reads, writes completed, sectors written, discards completed, flushes
            return {"reads": int(f[3]), "writes": int(f[7]), "wsect": int(f[9]),
                    "discards": int(f[14]) if len(f) > 14 else None,
                    "flushes": int(f[18]) if len(f) > 18 else None}
    return {}


def main():
    base, n, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    d = tempfile.mkdtemp(prefix="fsbench_", dir=base)
    m = SchedulerMetrics(waiting_by_level=[0] * 8, running_by_level=[0] * 8)
    w = SnapshotWriter(d, "0")
    c0, d0, t0, th0 = cpu(), disk(), time.time(), time.thread_time()
    period = 1.0 / rate
    for i in range(n):
        m.calls_completed += 1
        w.write(m, time.time())
        time.sleep(max(0.0, t0 + (i + 1) * period - time.time()))
    th1, t1 = time.thread_time(), time.time()
    time.sleep(6)  # let a journal commit (5 s) and writeback happen inside the window
    c1, d1 = cpu(), disk()
    os.remove(os.path.join(d, "engine_0.json"))
    os.rmdir(d)
    hz = os.sysconf("SC_CLK_TCK")
    dc = {k: (c1[k] - c0[k]) / hz for k in FIELDS}
    busy = sum(v for k, v in dc.items() if k not in ("idle", "iowait"))
    print(f"{base}: {n} writes at {rate:g}/s over {t1 - t0:.1f}s (+6 s): writer thread "
          f"{(th1 - th0) / n * 1e6:.0f} us/write; machine busy {busy:.2f} s "
          f"({', '.join(f'{k} {v:.2f}' for k, v in dc.items() if k != 'idle')}); "
          f"vda {({k: d1[k] - d0[k] for k in d0 if d0[k] is not None})}")


main()
