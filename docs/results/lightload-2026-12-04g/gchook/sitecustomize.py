"""Diagnostic only (lightload-2026-12-04g): with NEXUS_GCSTATS set, every Python process counts
its garbage collections per generation and their time (gc.callbacks) into a 48-byte mmap'd file
/dev/shm/nexus-gc-PID (3 x (count, ns) as int64: no syscall per collection), read by
procsplit_replay.py at each replay's edges."""
import os

if os.environ.get("NEXUS_GCSTATS"):
    import gc
    import mmap
    import struct
    import time

    _path = f"/dev/shm/nexus-gc-{os.getpid()}"
    _fd = os.open(_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    os.ftruncate(_fd, 48)
    _mm = mmap.mmap(_fd, 48)
    _start = [0]
    _clock = time.perf_counter_ns

    def _cb(phase, info, _mm=_mm, _start=_start, _clock=_clock, _s=struct):
        if phase == "start":
            _start[0] = _clock()
            return
        off = 16 * info["generation"]
        n, ns = _s.unpack_from("qq", _mm, off)
        _s.pack_into("qq", _mm, off, n + 1, ns + _clock() - _start[0])

    gc.callbacks.append(_cb)
