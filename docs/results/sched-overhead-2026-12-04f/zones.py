# ruff: noqa  (a measurement script, kept as run)
"""2026-12-04f: attribute callgrind costs (instructions, cache misses) to Python functions on
CPython 3.11 (no perf trampolines). Every function of the vllm_nexus modules (module-level and
class methods) and of vLLM's Scheduler / KVCacheManager / request queues is wrapped: the wrapper
calls a distinct C function zone_K of libzones.so (zones.c) through ctypes, and zone_K calls the
Python function back. K is allocated per calling context (parent zone, function), so callgrind's
inclusive cost of zone_K is the inclusive cost of that Python call in that context, and
self(K) = incl(K) - sum incl(children of K) (zsum.py). The ctypes round trip adds instructions
(and a few, hot, cache lines) to every wrapped call: the zone run's totals are above the plain
run's; only its split is used. Generators are attributed only for creating the generator."""
import ctypes, importlib, inspect, json, pkgutil, sys

N = 1500
CB = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_long)
ids: dict = {}          # (parent id, qualified name) -> zone id
stack = [0]
pending: list = []
results: list = []


def _dispatch(_a):
    f, a, k = pending[-1]
    try:
        results.append((True, f(*a, **k)))
    except BaseException as e:  # re-raised by the wrapper
        results.append((False, e))
    return 0


_cb = CB(_dispatch)
_zones: list = []
_done: dict = {}


def _wrap(name, f):
    if id(f) in _done:
        return _done[id(f)]
    def w(*a, **k):
        key = (stack[-1], name)
        z = ids.get(key)
        if z is None:
            z = len(ids) + 1
            if z >= N:
                return f(*a, **k)  # out of zones: unattributed (counted in the parent)
            ids[key] = z
        stack.append(z); pending.append((f, a, k))
        try:
            _zones[z](_cb, 0)
        finally:
            pending.pop(); stack.pop()
        ok, r = results.pop()
        if ok:
            return r
        raise r
    w.__name__ = f.__name__; w.__qualname__ = f.__qualname__; w.__wrapped__ = f
    _done[id(f)] = w
    return w


VLLM = {
    "vllm.v1.core.sched.scheduler": ("Scheduler",),
    "vllm.v1.core.sched.request_queue": None,
    "vllm.v1.core.kv_cache_manager": ("KVCacheManager",),
}
SKIP = {"__init_subclass__", "__class_getitem__", "__repr__", "__str__", "__del__"}


def _wrap_class(cls, mod):
    for n, v in list(cls.__dict__.items()):
        if n in SKIP or not inspect.isfunction(v):
            continue
        setattr(cls, n, _wrap(f"{mod.rsplit('.', 1)[-1]}.{cls.__qualname__}.{n}", v))


def install(lib="/tmp/ovh20/cg/libzones.so"):
    dll = ctypes.CDLL(lib)
    for i in range(N):
        z = getattr(dll, f"zone_{i}")
        z.argtypes = (CB, ctypes.c_long); z.restype = ctypes.c_long
        _zones.append(z)
    import vllm_nexus, vllm_nexus.programs
    for m in pkgutil.walk_packages(vllm_nexus.__path__, "vllm_nexus."):
        if m.name.startswith("vllm_nexus.programs") or m.name.count(".") == 1:
            try:
                importlib.import_module(m.name)
            except Exception:
                pass
    for mod in VLLM:
        importlib.import_module(mod)
    mods = [m for n, m in sys.modules.items() if n.startswith("vllm_nexus") and m is not None]
    classes = set()
    for m in mods:
        for n, v in list(vars(m).items()):
            if inspect.isfunction(v) and getattr(v, "__module__", "").startswith("vllm_nexus") and n not in SKIP:
                setattr(m, n, _wrap(f"{v.__module__.rsplit('.', 1)[-1]}.{v.__qualname__}", v))
            elif inspect.isclass(v) and v.__module__.startswith("vllm_nexus"):
                classes.add((v, v.__module__))
    for mod, names in VLLM.items():
        m = sys.modules[mod]
        for n, v in vars(m).items():
            if inspect.isclass(v) and v.__module__ == mod and (names is None or n in names):
                classes.add((v, mod))
    for cls, mod in classes:
        _wrap_class(cls, mod)


def save(path):
    json.dump({str(z): [p, n] for (p, n), z in ids.items()}, open(path, "w"))
