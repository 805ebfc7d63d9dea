S=/work/main/docs/results/waitbound-2026-12-05d/sim.sh
V=()
for k in 16 32; do V+=(--variant "w$k=default:{\"scheduler\":{\"starvation_wait_factor\":$k}}"); done
bash $S B1 --settings cpu --workloads chat --rates '{"chat":[16]}' --seeds 0,1,2,3 --schedulers default "${V[@]}"
