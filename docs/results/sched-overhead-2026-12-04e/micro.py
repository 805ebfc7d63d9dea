# ruff: noqa  (a throw-away measurement script, kept as run)
"""Instructions (callgrind Ir, collection toggled on around the loop only) of N TenantLedger
calls (call_started once, then N x charge + N x lift-free queries) in the tree on PYTHONPATH:
Python vs mypyc-compiled tenants.py."""
import ctypes, sys
import vllm_nexus.programs.tenants as T
cg = ctypes.CDLL("/tmp/ovh19/cg/libcgt.so")
n = int(sys.argv[1])
led = T.TenantLedger()
t = led.call_started("default", 0.0)
now = 0.0
for _ in range(200):  # warm-up (specialization)
    now += 0.003; led.charge(t, 64.0, now)
cg.cg_start(); cg.cg_toggle()
for _ in range(n):
    now += 0.003
    led.charge(t, 64.0, now)
cg.cg_toggle()
print(T.__file__.rsplit("/", 1)[1], n, round(t.decayed, 6), t.service_total)
