"""Per-call cost of TenantLedger.charge: 81211e2 (inlined decay) vs a checkout (decay helper).

Usage: python charge_timeit.py REPO_DIR (under the exclusive lock).
"""

import importlib.util
import subprocess
import sys
import timeit

repo = sys.argv[1]
old_src = subprocess.run(
    ["git", "show", "81211e2:vllm_nexus/programs/tenants.py"],
    capture_output=True, text=True, check=True, cwd=repo,
).stdout  # fmt: skip
with open("/tmp/tenants8_old_tenants.py", "w") as f:
    f.write(old_src)


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look the module up
    spec.loader.exec_module(mod)
    return mod


mods = {
    "old (inlined)": load("old_t", "/tmp/tenants8_old_tenants.py"),
    "new (decay helper)": load("new_t", repo + "/vllm_nexus/programs/tenants.py"),
}
for rnd in range(3):
    for name, m in mods.items():
        led = m.TenantLedger()
        t = led.call_started("a", 0.0)
        led.call_started("b", 0.0)
        clock = [0.0]

        def step(led=led, t=t, clock=clock):
            clock[0] += 0.01
            led.charge(t, 3.0, clock[0])

        n = 100_000
        best = min(timeit.repeat(step, number=n, repeat=3)) / n
        print(f"round {rnd} {name:20s} {best * 1e9:7.1f} ns per charge (incl. closure + clock)")
