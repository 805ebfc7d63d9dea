"""Intra-GPU prefill/decode split (Nexus): how one step runs.

Pure policy (no vLLM import): ``cost_model`` (per-phase latency vs SM share, profiles),
``controller`` (partition grid and the greedy split search, Nexus §4.3), ``plan`` (a step's
prefill/decode sub-batches and the split decision attached to it), ``sm_scaling`` (latency vs
SM share from published measurements), ``execution`` (the mode a configuration resolves to,
the backend a worker builds, memory reserve).
vLLM / CUDA adapters: ``worker`` (``--worker-cls``), ``runners`` (the decode runner),
``forward_context`` (thread-local forward context), ``backends`` (green contexts, CPU
stand-in), ``profiler`` and ``profile_batches`` (``vllm-nexus profile``). The GPU validation
(``vllm-nexus validate-gpu``) is a tool in :mod:`vllm_nexus.validation`.
"""
