# ruff: noqa
"""The real engine's own noise on fidelity windows L-U (design: README.md).
usage: python noise.py [DRAWS]   (run from anywhere; reads ../fid*/)"""
import gzip, itertools, json, math, random, statistics, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DRAWS = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
REGISTERED = {'L': 5, 'M': 14, 'N': 16, 'O': 12, 'P': 16, 'Q': 13, 'R': 12, 'S': 12, 'T': 11, 'U': 15}
LO, HI = 0.75, 1.25


def load(p):
    return json.load(gzip.open(p) if str(p).endswith('.gz') else open(p))


def by_rate(p):
    out = {}
    for r in load(p)['runs']:
        out.setdefault(float(r['rate']), []).append(r['summary']['program_token_latency_s'])
    return out


def window(letter):
    """cells: list of (name, [value per repetition]); sim: {name: value} from sim-alone."""
    (wdir,) = HERE.parent.glob(f'fid{letter}-*')
    base = wdir / letter
    cells, sim = [], {}
    nreps = None
    for fam in ('ca', 'mr'):
        for s in ('stock-fcfs', 'vllm_nexus'):
            reps = sorted((base / fam / 'real' / s).glob('rep*/result.json*'), key=lambda p: int(p.parent.name[3:]))
            real = [by_rate(p) for p in reps]
            nreps = len(real) if nreps is None else nreps
            assert len(real) == nreps, (letter, fam, s, len(real), nreps)
            simp = sorted((base / fam / 'sim-alone' / s).glob('result.json*'))
            simr = by_rate(simp[0]) if simp else {}
            for rate in sorted(real[0]):
                for stat in ('mean', 'p95'):
                    name = f'{fam} {s} {rate:g} {stat}'
                    cells.append((name, [1e3 * r[rate][0][stat] for r in real]))
                    if rate in simr:
                        sim[name] = 1e3 * statistics.mean(x[stat] for x in simr[rate])
    return cells, sim, nreps


def midpoint(letter):
    """{cell name: simulated value} of the midpoint-calibration diagnostic, parsed from the
    committed diag-mid.md's first table (windows P-U; column 8 is the simulated value)."""
    (wdir,) = HERE.parent.glob(f'fid{letter}-*')
    p = wdir / 'diag-mid.md'
    out = {}
    if not p.exists():
        return out
    for line in p.read_text().splitlines():
        if out and line.startswith('- real value'):
            break  # the first table only: the midpoint profile alone
        c = [x.strip() for x in line.strip().strip('|').split('|')]
        if len(c) == 11 and c[0] in ('ca', 'mr'):
            out[f'{c[0]} {c[1]} {float(c[2]):g} {c[3]}'] = float(c[7])
    return out


def at_most(probs, k):
    """P(at most k successes) for independent cells with these success probabilities."""
    dist = [1.0]
    for p in probs:
        dist = [(dist[i] if i < len(dist) else 0) * (1 - p) + (dist[i - 1] * p if i > 0 else 0)
                for i in range(len(dist) + 1)]
    return sum(dist[: k + 1])


def within(pred, real):
    return LO <= pred / real <= HI


def bootstrap(cells, n, rng):
    full = [statistics.median(v) for _, v in cells]
    per_cell = [0] * len(cells)
    all_in = 0
    counts = []
    for _ in range(DRAWS):
        idx = [rng.randrange(n) for _ in range(n)]
        k = 0
        for i, (_, v) in enumerate(cells):
            ok = within(full[i], statistics.median([v[j] for j in idx]))
            per_cell[i] += ok
            k += ok
        counts.append(k)
        all_in += k == len(cells)
    return statistics.mean(counts), all_in / DRAWS, [c / DRAWS for c in per_cell]


def halves(cells, n):
    counts = []
    for a in itertools.combinations(range(n), n // 2):
        b = [j for j in range(n) if j not in a]
        for x, y in ((a, b), (b, a)):
            counts.append(sum(within(statistics.median([v[j] for j in x]), statistics.median([v[j] for j in y]))
                              for _, v in cells))
    return statistics.mean(counts), sum(c == len(cells) for c in counts) / len(counts)


def spread(v):
    return max(v) / min(v)


def main():
    rng = random.Random(0)
    print('| window | reps | cells | perfect predictor, bootstrap: expected cells in / P(all in) | split halves: expected / P(all in) | widest cell (max/min of reps) | cells whose reps span > 1.67x (= 1.25/0.75) | profile alone | registered predictor |')
    print('|---|---|---|---|---|---|---|---|---|')
    tot = {'boot_p': [], 'half_p': [], 'boot_e': 0.0, 'cells': 0, 'alone': 0, 'alone_n': 0, 'reg': 0}
    detail = []
    misses = []
    for letter in 'LMNOPQRSTU':
        cells, sim, n = window(letter)
        be, bp, pc = bootstrap(cells, n, rng)
        he, hp = halves(cells, n)
        wide = max(cells, key=lambda c: spread(c[1]))
        nwide = sum(spread(v) > HI / LO for _, v in cells)
        alone = sum(within(sim[nm], statistics.median(v)) for nm, v in cells if nm in sim)
        tot['boot_p'].append(bp); tot['half_p'].append(hp); tot['boot_e'] += be; tot['cells'] += len(cells)
        tot['alone'] += alone; tot['alone_n'] += len(sim); tot['reg'] += REGISTERED[letter]
        print(f'| {letter} | {n} | {len(cells)} | {be:.1f} / {bp:.2f} | {he:.1f} / {hp:.2f} | {wide[0]} {spread(wide[1]):.2f}x | {nwide} | {alone} | {REGISTERED[letter]} |')
        for (nm, v), p in zip(cells, pc):
            if nm in sim and not within(sim[nm], statistics.median(v)):
                misses.append((letter, nm, sim[nm] / statistics.median(v), p, spread(v)))
            if p < 0.95:
                ok = within(sim[nm], statistics.median(v)) if nm in sim else None
                detail.append(f'| {letter} | {nm} | {" / ".join(f"{x:.1f}" for x in v)} | {p:.2f} | '
                              f'{sim[nm] / statistics.median(v):.2f}{"" if ok else " miss"} |')
    nw = len(tot['boot_p'])
    print()
    print(f'- perfect predictor (bootstrap): expected windows met {sum(tot["boot_p"]):.1f} of {nw}; '
          f'expected cells in {tot["boot_e"]:.0f} of {tot["cells"]} ({tot["boot_e"] / tot["cells"]:.3f})')
    print(f'- split halves: expected windows met {sum(tot["half_p"]):.1f} of {nw}')
    print(f'- profile alone: cells in {tot["alone"]} of {tot["alone_n"]} ({tot["alone"] / tot["alone_n"]:.3f}); '
          f'registered predictors: {tot["reg"]} of {16 * nw} ({tot["reg"] / (16 * nw):.3f}), windows met '
          f'{sum(REGISTERED[w] == 16 for w in REGISTERED)} of {nw}')
    print()
    print('Cells a perfect predictor misses in more than 5% of bootstrap draws:')
    print()
    print('| window | cell | real reps (ms/token, in order) | P(perfect predictor in) | profile alone / median |')
    print('|---|---|---|---|---|')
    print('\n'.join(detail))
    print()
    print('The profile alone\'s misses (sim / real median), with the cell\'s P(perfect predictor in) and the spread of its repetitions:')
    print()
    print('| window | cell | sim / median | P(perfect in) | reps max/min |')
    print('|---|---|---|---|---|')
    for m in misses:
        print(f'| {m[0]} | {m[1]} | {m[2]:.2f} | {m[3]:.2f} | {m[4]:.2f}x |')
    noisy = sum(m[3] < 0.95 for m in misses)
    print()
    print(f'- {len(misses)} misses; {noisy} in cells a perfect predictor misses in more than 5% of draws, '
          f'{len(misses) - noisy} in cells whose repetitions agree; too fast (< 0.75): '
          f'{sum(m[2] < 1 for m in misses)}, too slow: {sum(m[2] > 1 for m in misses)}')
    over = [m for m in misses if ' 12 ' in m[1]]
    print(f'- at 12/s (overload in both families): {len(over)} of {len(misses)}; in map-reduce: '
          f'{sum(m[1].startswith("mr") for m in misses)}')
    pu = 'PQRSTU'
    print()
    print('Predictors against the perfect predictor, cell by cell (P(at most that many cells in) if the')
    print('predictor were perfect, cells taken as independent; added after the design):')
    print()
    print('| window | perfect: expected cells in | profile alone | P(<= that) | midpoint of start and end | P(<= that) |')
    print('|---|---|---|---|---|---|')
    agg = {'e': 0.0, 'a': 0, 'm': 0, 'pa': [], 'pm': []}
    for letter in pu:
        cells, sim, n = window(letter)
        mid = midpoint(letter)
        _, _, pc = bootstrap(cells, n, random.Random(1))
        a = sum(within(sim[nm], statistics.median(v)) for nm, v in cells)
        m = sum(within(mid[nm], statistics.median(v)) for nm, v in cells)
        agg['e'] += sum(pc); agg['a'] += a; agg['m'] += m; agg['pa'] += pc
        print(f'| {letter} | {sum(pc):.1f} | {a} | {at_most(pc, a):.3f} | {m} | {at_most(pc, m):.3f} |')
    print(f'| P-U | {agg["e"]:.1f} of 96 | {agg["a"]} | {at_most(agg["pa"], agg["a"]):.2g} | {agg["m"]} | {at_most(agg["pa"], agg["m"]):.2g} |')
    print(f'- subtotal P-U (the bracketing protocol; added after the design): perfect predictor expected '
          f'windows met {sum(p for w, p in zip("LMNOPQRSTU", tot["boot_p"]) if w in pu):.1f} of 6, split halves '
          f'{sum(p for w, p in zip("LMNOPQRSTU", tot["half_p"]) if w in pu):.1f} of 6; profile-alone misses '
          f'{sum(m[0] in pu for m in misses)}, of them in noisy cells {sum(m[0] in pu and m[3] < 0.95 for m in misses)}')


if __name__ == "__main__":
    main()
