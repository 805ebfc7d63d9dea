"""Window AC's readings (pre-registered in ../README.md), over both families' 16 cells: each cell's
real value is the MEDIAN over its repetitions of each repetition's mean / P95 program token
latency; within 25% if |sim / real - 1| <= 0.25 (reading 1: 16 of 16 is the target); the
noise-floor reading of the product (`vllm_nexus.sim.noise_floor`, 10,000 draws, seed 0, one
resample shared by all 16 cells) is reading 2 (consistent with the floor if P >= 0.05).
usage: python3 floorAC.py WINDOW_DIR [SIMSUB]   (SIMSUB default sim-alone)"""

import json
import math
import statistics
import sys
from pathlib import Path

from vllm_nexus.bench import report
from vllm_nexus.sim import fidelity, noise_floor

W = Path(sys.argv[1])
SUB = sys.argv[2] if len(sys.argv) > 2 else "sim-alone"
cells = []
for fam in ("ca", "mr"):
    real = fidelity._real_results(W / fam, ["stock-fcfs", "vllm_nexus"])
    pred = {s: report.plain_or_gz(W / fam / SUB / s / "result.json") for s in real}
    cells += [(fam, *c) for c in fidelity.cell_values(real, pred, "program_token_latency_s")]
n = min(len(c[4]) for c in cells)  # registered: a family with more repetitions keeps its first n
cells = [(f, s, rate, stat, v[:n], sim) for f, s, rate, stat, v, sim in cells]
reps = [c[4] for c in cells]
r = noise_floor.reading(reps, [c[5] for c in cells], 0.25)
print("| family | scheduler | rate | stat | real reps (ms/token, in order) | median | sim | sim / median | P(perfect in) |")
print("|---|---|---|---|---|---|---|---|---|")
for (fam, s, rate, stat, v, sim), p in zip(cells, r.chances, strict=True):
    med = statistics.median(v)
    miss = "" if noise_floor.within(sim, med, 0.25) else " **miss**"
    print(f"| {fam} | {s} | {rate:g} | {stat} | {' / '.join(f'{x * 1e3:.1f}' for x in v)} | "
          f"{med * 1e3:.1f} | {sim * 1e3:.1f} | {sim / med:.2f}{miss} | {p:.2f} |")
lnr = [abs(math.log(c[5] / statistics.median(c[4]))) for c in cells]
over = [noise_floor.within(c[5], statistics.median(c[4]), 0.25) for c in cells if c[2] == 12.0]
print()
print(f"- repetitions per cell: {n}")
print(f"- reading 1: {r.cells_in} of {r.cells} cells within 25% (overload {sum(over)} of {len(over)}); "
      f"mean |ln ratio| {sum(lnr) / len(lnr):.3f}; target met: {'yes' if r.cells_in == r.cells else 'no'}")
print(f"- perfect predictor: expected {r.expected_in:.1f} cells in, P(all 16 in) {r.p_all_in:.2f}")
print(f"- reading 2: P(at most {r.cells_in} in | perfect predictor) = {r.p_at_most:.3f}; consistent with "
      f"the floor (>= {noise_floor.CONSISTENT_P}): {'yes' if r.consistent else 'no'}")
print(json.dumps({"cells_in": r.cells_in, "p_at_most": round(r.p_at_most, 4)}))
