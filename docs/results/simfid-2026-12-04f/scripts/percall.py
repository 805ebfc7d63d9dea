# ruff: noqa  (diagnostic script of simfid-2026-12-04f, kept as run)
import json, sys
def progs(p, rate):
    d = json.load(open(p)); r = [x for x in d['runs'] if x['rate'] == rate][0]
    out = {}
    for pr in r['programs']:
        calls = pr['calls']; a = pr['arrival_s']
        end = max(c['end_s'] for c in calls); tok = sum(c['output_tokens'] for c in calls)
        first = min(c['send_s'] for c in calls)
        out[pr['program_id']] = dict(e2e=end - a, tl=1e3 * (end - a) / tok, n=len(calls), tok=tok, a=a,
                                     wait=sum(c['first_token_s'] - c['send_s'] for c in calls) / len(calls),
                                     gap=sum(c['send_s'] - c['ready_s'] for c in calls) / len(calls))
    return out
rate = float(sys.argv[3])
R, S = progs(sys.argv[1], rate), progs(sys.argv[2], rate)
rows = sorted(R, key=lambda k: -S[k]['tl'])
print('program | calls | tokens | arrival | real tl | sim tl | real e2e | sim e2e | real mean ttft | sim mean ttft | real send gap ms | sim send gap ms')
for k in rows[:12]:
    r, s = R[k], S[k]
    print(f"{k} | {r['n']} | {r['tok']} | {r['a']:.2f} | {r['tl']:.1f} | {s['tl']:.1f} | {r['e2e']:.2f} | {s['e2e']:.2f} | {r['wait']:.3f} | {s['wait']:.3f} | {1e3*r['gap']:.1f} | {1e3*s['gap']:.1f}")
import statistics as st
print('mean tl', st.mean(v['tl'] for v in R.values()), st.mean(v['tl'] for v in S.values()))
print('mean ttft', st.mean(v['wait'] for v in R.values()), st.mean(v['wait'] for v in S.values()))
