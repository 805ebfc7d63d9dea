S=/work/main/docs/results/waitbound-2026-12-05d/sim.sh
V=()
for k in 4 8 16 32; do V+=(--variant "w$k=default:{\"scheduler\":{\"starvation_wait_factor\":$k}}"); done
bash $S A1 --settings cpu-kv --workloads react,mixed,chat,lats --seeds 0,1 --schedulers stock,default "${V[@]}"
bash $S A2 --settings cpu --workloads react,mixed,chat,lats --seeds 0,1 --schedulers stock,default "${V[@]}"
bash $S A3 --settings cpu-kv --workloads react --rates '{"react":[40]}' --seeds 0,1 --schedulers stock,default "${V[@]}"
bash $S A4 --settings cpu,cpu-kv --workloads map-reduce --seeds 0,1 --schedulers stock,default "${V[@]}"
