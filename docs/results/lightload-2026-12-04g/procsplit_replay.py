"""Diagnostic wrapper of examples/interleaved_replay.py (lightload-2026-12-04g): the same command,
plus, around every replay, a snapshot of every thread on the machine (/proc/PID/task/TID: stat
utime+stime, schedstat run/wait ns, voluntary/involuntary context switches), /proc/stat,
/proc/diskstats (vda), /proc/interrupts, /proc/softirqs, the replay client's rusage and the GC
counters of the gchook (if NEXUS_GCSTATS). One JSON line per replay into OUT/procsplit.jsonl:
per-thread deltas grouped by (owner, process role, thread name), owner = the replaying server's
scheduler name, 'idle:NAME' for the other servers, 'client', 'kernel', 'other'.

--diag-env NAME=K=V (repeatable): extra environment of server NAME (e.g. a metrics directory).
usage: procsplit_replay.py [--diag-env ...] INTERLEAVED_REPLAY_ARGS..."""

import importlib.util
import json
import os
import resource
import struct
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("ir", REPO / "examples" / "interleaved_replay.py")
ir = importlib.util.module_from_spec(spec)
sys.modules["ir"] = ir
spec.loader.exec_module(ir)

HZ = os.sysconf("SC_CLK_TCK")


def _read(p):
    try:
        with open(p) as f:
            return f.read()
    except OSError:
        return None


def threads():
    """{tid: (pid, comm, cpu_ticks, run_ns, wait_ns, vol, invol)} for every thread."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            base = f"/proc/{pid}/task/{tid}"
            st = _read(base + "/stat")
            if st is None:
                continue
            comm = st[st.index("(") + 1 : st.rindex(")")]
            f = st[st.rindex(")") + 2 :].split()
            ticks = int(f[11]) + int(f[12])  # utime, stime (fields 14, 15)
            ss = (_read(base + "/schedstat") or "0 0 0").split()
            vol = invol = 0
            for line in (_read(base + "/status") or "").splitlines():
                if line.startswith("voluntary_ctxt_switches"):
                    vol = int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    invol = int(line.split()[1])
            out[int(tid)] = (int(pid), comm, ticks, int(ss[0]), int(ss[1]), vol, invol)
    return out


def procinfo():
    """{pid: (ppid, comm, cmdline)}"""
    out = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            st = _read(f"/proc/{pid}/stat")
            if st is None:
                continue
            f = st[st.rindex(")") + 2 :].split()
            cmd = (_read(f"/proc/{pid}/cmdline") or "").replace("\0", " ")
            out[int(pid)] = (int(f[1]), st[st.index("(") + 1 : st.rindex(")")], cmd)
    return out


def machine():
    stat = _read("/proc/stat").splitlines()
    cpu = [int(x) for x in stat[0].split()[1:9]]
    ctxt = next(int(line.split()[1]) for line in stat if line.startswith("ctxt"))
    disk = next((line.split()[3:] for line in _read("/proc/diskstats").splitlines()
                 if line.split()[2] == "vda"), [])
    irqs = {}
    for line in _read("/proc/interrupts").splitlines()[1:]:
        f = line.split()
        n = [int(x) for x in f[1:3] if x.isdigit()]
        irqs[f[0].rstrip(":") + " " + " ".join(f[3 + 1:])[-30:]] = sum(n)
    soft = {line.split()[0].rstrip(":"): sum(int(x) for x in line.split()[1:])
            for line in _read("/proc/softirqs").splitlines()[1:]}
    return {"cpu": cpu, "ctxt": ctxt, "disk": [int(x) for x in disk], "irqs": irqs,
            "softirqs": soft}


def gcstats():
    out = {}
    for p in Path("/dev/shm").glob("nexus-gc-*"):
        try:
            b = p.read_bytes()
            out[int(p.name.rsplit("-", 1)[1])] = list(struct.unpack("6q", b[:48]))
        except (OSError, struct.error, ValueError):
            pass
    return out


def owners(port_by_name, serving):
    """{pid: (owner, role)}"""
    info = procinfo()
    children = {}
    for pid, (ppid, _, _) in info.items():
        children.setdefault(ppid, []).append(pid)
    out = {}
    for name, port in port_by_name.items():
        roots = [p for p, (_, _, cmd) in info.items()
                 if "--port" in cmd.split() and str(port) in cmd.split()
                 and "vllm" in cmd and "bench" not in cmd.split()]
        owner = name if name == serving else f"idle:{name}"
        stack = [(r, "api") for r in roots]
        while stack:
            pid, role = stack.pop()
            if pid in out:
                continue
            out[pid] = (owner, role if role == "api" else info[pid][1])
            stack += [(c, "child") for c in children.get(pid, [])]
    for pid, (ppid, comm, _cmd) in info.items():
        if pid not in out:
            if pid == 2 or ppid == 2:
                out[pid] = ("kernel", "kthread")
            elif pid == os.getpid():
                out[pid] = ("driver", comm)
            else:
                out[pid] = ("other", comm)
    return out, info


PORTS = {}
OUT = None
DIAG_ENV = {}


class _Subprocess:
    """Stands in for interleaved_replay's `subprocess`: snapshots around each replay client."""

    def __getattr__(self, name):
        return getattr(subprocess, name)

    def run(self, argv, *args, **kwargs):
        if "bench" not in argv:
            return subprocess.run(argv, *args, **kwargs)
        base = argv[argv.index("--base-url") + 1]
        port = int(base.split(":")[2].split("/")[0])
        name = argv[argv.index("--label") + 1]
        dest = argv[argv.index("--out") + 1]
        PORTS[name] = port
        own, _ = owners(PORTS, name)
        m0, g0, th0 = machine(), gcstats(), threads()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.time()
        try:
            return subprocess.run(argv, *args, **kwargs)
        finally:
            t1 = time.time()
            th1, g1, m1 = threads(), gcstats(), machine()
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            own1, info = owners(PORTS, name)
            own = {**own1, **own}
            groups = {}
            for tid, b in th1.items():
                a = th0.get(tid)
                if a is None or a[0] != b[0]:
                    a = (b[0], b[1], 0, 0, 0, 0, 0)  # born inside the window
                pid = b[0]
                owner, role = own.get(pid, ("other", info.get(pid, (0, "?"))[1]))
                if owner in ("other", "kernel"):
                    tname = b[1].split("/")[0]  # kworker/1:2 -> kworker
                else:
                    tname = b[1]
                key = f"{owner}|{role}|{tname}"
                g = groups.setdefault(key, [0, 0, 0, 0, 0, 0])
                d = [b[2] - a[2], b[3] - a[3], b[4] - a[4], b[5] - a[5], b[6] - a[6]]
                for i, v in enumerate(d):
                    g[i] += v
                g[5] += 1
            groups = {k: {"cpu_s": v[0] / HZ, "run_s": v[1] / 1e9, "wait_s": v[2] / 1e9,
                          "vol": v[3], "invol": v[4], "threads": v[5]}
                      for k, v in groups.items() if v[0] or v[1] or v[3] or v[4]}
            gc = {}
            for pid, b in g1.items():
                a = g0.get(pid, [0] * 6)
                d = [y - x for x, y in zip(a, b, strict=True)]
                if any(d):
                    owner, role = own.get(pid, ("other", "?"))
                    gc[f"{owner}|{role}|{pid}"] = {"n": d[0::2], "ms": [x / 1e6 for x in d[1::2]]}
            mach = {"cpu_s": [(y - x) / HZ for x, y in zip(m0["cpu"], m1["cpu"], strict=True)],
                    "ctxt": m1["ctxt"] - m0["ctxt"],
                    "disk": [y - x for x, y in zip(m0["disk"], m1["disk"], strict=True)],
                    "irqs": {k: v - m0["irqs"].get(k, 0) for k, v in m1["irqs"].items()
                             if v - m0["irqs"].get(k, 0)},
                    "softirqs": {k: v - m0["softirqs"].get(k, 0)
                                 for k, v in m1["softirqs"].items()}}
            client = {"cpu_s": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
                      "invol": ru1.ru_nivcsw - ru0.ru_nivcsw}
            row = {"sched": name, "dest": Path(dest).name, "wall": [t0, t1], "groups": groups,
                   "gc": gc, "machine": mach, "client": client}
            with open(Path(OUT) / "procsplit.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")


def main():
    global OUT
    argv = sys.argv[1:]
    while argv and argv[0] == "--diag-env":
        name, k, v = argv[1].split("=", 2)
        DIAG_ENV.setdefault(name, {})[k] = v
        argv = argv[2:]
    OUT = argv[argv.index("--out") + 1]
    Path(OUT).mkdir(parents=True, exist_ok=True)
    ir.subprocess = _Subprocess()
    if DIAG_ENV:  # extra env per server: the servers are built as VllmServer(..., env=server_env(s))
        from vllm_nexus.serving import launcher

        real = launcher.VllmServer
        scheds = argv[argv.index("--schedulers") + 1].split(",")
        order = iter(scheds)

        def make(model, *a, env=None, **kw):  # called once per scheduler, in --schedulers order
            s = next(order)
            return real(model, *a, env={**(env or {}), **DIAG_ENV.get(s, {})}, **kw)

        launcher.VllmServer = make
    return ir.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
