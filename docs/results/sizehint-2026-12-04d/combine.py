"""Share of the SRPT oracle's log gain per run, the shipped rule beside the variants.
stock / oracle / default / shipped-rule rows: the 2026-12-04c files of the same (preset, seed)
(deterministic: the same arguments give the same figures); variant rows: FILES.
Usage: python combine.py BASEFILES... -- VARIANT=FILE..."""

import json
import math
import sys

args = sys.argv[1:]
cut = args.index("--")
base_files, var_specs = args[:cut], args[cut + 1 :]
runs: dict = {}


def load(path, tag=None):
    for line in open(path):
        d = json.loads(line)
        if d.get("skipped") or d["mean"] != d["mean"]:
            continue
        key = (d["setting"], d["workload"], d["seed"], d["rate"])
        name = d["scheduler"] if tag is None else f"{tag}{d['scheduler'].removeprefix('default')}"
        runs.setdefault(key, {})[name] = d


for f in base_files:
    load(f)
tags = []
for spec in var_specs:
    tag, _, path = spec.partition("=")
    if tag not in tags:
        tags.append(tag)
    load(path, tag)
cols = ["default", "default+h0.5", "default+h1"]
for t in tags:
    cols += [f"{t}+h0.5", f"{t}+h1"]
print("| preset | workload | seed | " + " | ".join(cols) + " |")
print("|---|---|---|" + "---|" * len(cols))
for key in sorted(runs):
    r = runs[key]
    st, orc = r.get("stock"), r.get("oracle")
    if not st or not orc:
        continue
    g = math.log(st["mean"] / orc["mean"])
    cells = []
    for c in cols:
        x = r.get(c)
        cells.append("-" if x is None else f"{math.log(st['mean'] / x['mean']) / g:.2f}")
    print(f"| {key[0]} | {key[1]} | {key[2]} | " + " | ".join(cells) + " |")
