"""The decode runner's wiring (``vllm_nexus.split.runners``) and the concurrent step's error
path, without an engine: KV binding to the same storage without allocation, shared request
state, persistent-batch cleanup on vLLM's real ``InputBatch``, CPU kernel serialisation and
exceptions from a phase thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("vllm")

from vllm_nexus.split import runners as pr  # noqa: E402
from vllm_nexus.split.worker import collect_phase_results  # noqa: E402


class FakeRunner:
    """The parts of GPUModelRunner that phase_runners touches, with vLLM's call structure:
    initialize_kv_cache sets builders/batch up, then calls initialize_kv_cache_tensors."""

    def __init__(self, model: Any = None) -> None:
        self.kv_caches: list[Any] = []
        self.allocations = 0
        self.builders = None
        self.requests: dict[str, Any] = {}
        self.num_prompt_logprobs: dict[str, int] = {}
        self.model = model

    def initialize_kv_cache(self, kv_cache_config: Any) -> None:
        self.builders = f"builders for {kv_cache_config}"
        self.initialize_kv_cache_tensors(kv_cache_config, [16])

    def initialize_kv_cache_tensors(self, kv_cache_config: Any, kernel_block_sizes: Any) -> dict:
        self.allocations += 1
        self.kv_caches.extend(torch.zeros(4, 2, 16, 8) for _ in range(2))
        return {}

    def get_model(self) -> Any:
        return self.model

    def load_model(self) -> None:  # CPU runner: no ``model=`` argument
        raise AssertionError("must not load a second copy")


def test_decode_runner_binds_the_same_kv_storage_without_allocating() -> None:
    src, dst = FakeRunner(), FakeRunner()
    src.initialize_kv_cache("cfg")
    pr.bind_shared_kv_cache(dst, src, "cfg")
    assert dst.allocations == 0 and src.allocations == 1
    assert dst.builders == "builders for cfg"  # its own metadata side was initialised
    assert all(a is b for a, b in zip(dst.kv_caches, src.kv_caches, strict=True))
    assert [t.data_ptr() for t in dst.kv_caches] == [t.data_ptr() for t in src.kv_caches]
    assert "initialize_kv_cache_tensors" not in vars(dst)  # the override was temporary
    src.kv_caches[0][1, 0, 0, 0] = 7.0  # a write by one phase is seen by the other
    assert dst.kv_caches[0][1, 0, 0, 0] == 7.0


def test_binding_before_the_first_runner_has_a_cache_is_an_error() -> None:
    with pytest.raises(pr.PhaseRunnerError, match="no KV cache"):
        pr.bind_shared_kv_cache(FakeRunner(), FakeRunner(), "cfg")


def test_share_model_cpu_and_gpu_runner_styles() -> None:
    model = object()
    cpu = FakeRunner()
    pr.share_model(cpu, FakeRunner(model))
    assert cpu.get_model() is model

    class GpuStyle(FakeRunner):
        def load_model(self, load_dummy_weights: bool = False, *, model: Any = None) -> None:
            assert model is not None, "must pass the pre-loaded model"
            self.model = model

    gpu = GpuStyle()
    pr.share_model(gpu, FakeRunner(model))
    assert gpu.get_model() is model


def test_decode_runner_keeps_the_process_wide_offloader() -> None:
    """vLLM's runner constructor calls set_offloader(create_offloader(...)); the second
    runner must not replace the offloader the loaded model was built with."""
    from vllm.model_executor.offloader import base as offloader

    class Kept(offloader.NoopOffloader):
        pass

    class RunnerThatResetsTheOffloader(FakeRunner):
        def __init__(self, vllm_config: Any = None, device: Any = None) -> None:
            super().__init__()
            offloader.set_offloader(offloader.NoopOffloader())  # as GPUModelRunner.__init__

    before = offloader.get_offloader()
    try:
        first = RunnerThatResetsTheOffloader()  # its offloader wraps the loaded model's layers
        kept = Kept()
        offloader.set_offloader(kept)
        first.model = object()
        dec = pr.make_decode_runner(first, None, None)
        assert offloader.get_offloader() is kept
        assert dec.get_model() is first.model
    finally:
        offloader.set_offloader(before)


def test_share_request_state() -> None:
    src, dst = FakeRunner(), FakeRunner()
    pr.share_request_state(dst, src)
    src.requests["r"] = 1
    assert dst.requests is src.requests and dst.num_prompt_logprobs is src.num_prompt_logprobs


def _batch(n: int) -> Any:
    from vllm import SamplingParams
    from vllm.v1.worker.gpu_input_batch import CachedRequestState, InputBatch

    batch = InputBatch(
        max_num_reqs=8,
        max_model_len=256,
        max_num_batched_tokens=256,
        device=torch.device("cpu"),
        vocab_size=100,
        block_sizes=[16],
        max_num_blocks_per_req=[16],
    )
    for i in range(n):
        batch.add_request(
            CachedRequestState(
                req_id=f"r{i}",
                prompt_token_ids=[1, 2, 3],
                mm_features=[],
                sampling_params=SamplingParams(temperature=0),
                generator=None,
                block_ids=([i],),
                num_computed_tokens=0,
                output_token_ids=[],
            )
        )
    return batch


def test_clear_batch_empties_a_real_input_batch_and_it_stays_usable() -> None:
    runner = SimpleNamespace(input_batch=_batch(3), requests={"r0": 0, "r1": 1, "r2": 2})
    assert pr.runner_sizes(runner) == {"batch": 3, "requests": 3}
    assert pr.clear_batch(runner) == 3
    # Rows gone, cached state kept (it is the shared table the other runner uses).
    assert pr.runner_sizes(runner) == {"batch": 0, "requests": 3}
    assert runner.input_batch.num_reqs == 0
    runner.input_batch.refresh_metadata()  # what the runner's next state update does
    assert pr.clear_batch(runner) == 0


def test_serialize_cpu_kernels_wraps_once_and_excludes_overlap() -> None:
    inside = []
    overlap = []

    class Model:
        def compute_logits(self, x: int) -> int:
            return x + 1

    model = Model()

    def slow(tag: str) -> Any:
        def fn(*_a: Any, **_k: Any) -> str:
            if inside:
                overlap.append(tag)
            inside.append(tag)
            threading.Event().wait(0.02)
            inside.remove(tag)
            return tag

        return fn

    runners = []
    for tag in ("p", "d"):
        r = SimpleNamespace(get_model=lambda: model)
        for name in pr.CPU_LOCKED_METHODS:
            setattr(r, name, slow(f"{tag}.{name}"))
        runners.append(r)
    lock = pr.serialize_cpu_kernels(runners)
    pr.serialize_cpu_kernels(runners, lock)  # idempotent: no double wrapping
    assert runners[0]._model_forward.__wrapped__.__name__ == "fn"
    assert model.compute_logits(1) == 2 and model.compute_logits.__nexus_locked__

    def work(r: Any) -> None:
        for name in pr.CPU_LOCKED_METHODS:
            getattr(r, name)()

    with ThreadPoolExecutor(2) as ex:
        list(ex.map(work, runners))
    assert overlap == []


def test_phase_exception_propagates_after_both_phases_finished() -> None:
    done = threading.Event()

    def decode() -> None:
        raise ValueError("boom in decode")

    def prefill() -> str:
        threading.Event().wait(0.05)
        done.set()
        return "prefill-out"

    with ThreadPoolExecutor(2) as ex:
        futures = {"decode": ex.submit(decode), "prefill": ex.submit(prefill)}
        with pytest.raises(RuntimeError, match="the decode sub-step .* failed") as info:
            collect_phase_results(futures)
    assert done.is_set()  # the other phase was waited for, not left running
    assert isinstance(info.value.__cause__, ValueError)


def test_both_phase_failures_are_reported() -> None:
    with ThreadPoolExecutor(2) as ex:
        futures = {
            "decode": ex.submit(lambda: 1 / 0),
            "prefill": ex.submit(lambda: [][1]),
        }
        with pytest.raises(RuntimeError, match="prefill sub-step failed too"):
            collect_phase_results(futures)


def test_results_come_back_in_phase_order() -> None:
    with ThreadPoolExecutor(2) as ex:
        futures = {"prefill": ex.submit(lambda: "p"), "decode": ex.submit(lambda: "d")}
        assert collect_phase_results(futures) == ["d", "p"]


class RecordingBackend:
    """Stands in for gpu.Backend: phase() makes a per-thread 'current stream', as
    torch.cuda.stream() does on CUDA (torch's current stream is thread-local)."""

    name = "fake"

    def __init__(self) -> None:
        self.tls = threading.local()
        self.calls: list[tuple[str, int, int, Any]] = []

    def phase(self, phase: str, prefill_sms: int, decode_sms: int, engine: Any = None) -> Any:
        import contextlib

        @contextlib.contextmanager
        def ctx() -> Any:
            self.calls.append((phase, prefill_sms, decode_sms, engine))
            self.tls.stream = f"{phase}-stream"
            try:
                yield
            finally:
                self.tls.stream = None

        return ctx()


class StreamRecordingRunner:
    def __init__(self, backend: RecordingBackend, barrier: threading.Barrier) -> None:
        self.backend, self.barrier = backend, barrier
        self.seen: dict[str, Any] = {}

    def execute_model(self, sub: Any) -> None:
        from vllm.v1.worker.workspace import _workspace_lane

        self.barrier.wait()  # both phases are inside their contexts at once
        self.seen["stream"] = self.backend.tls.stream
        self.seen["lane"] = _workspace_lane.get()
        self.seen["grad"] = torch.is_grad_enabled()
        return None

    def sample_tokens(self, grammar: Any) -> str:
        self.seen["sample_stream"] = self.backend.tls.stream
        return f"out-{self.seen['stream']}"


def test_each_phase_thread_runs_in_its_own_stream_and_workspace_lane() -> None:
    from vllm_nexus.split.plan import PhasePlan
    from vllm_nexus.split.worker import Worker

    backend = RecordingBackend()
    barrier = threading.Barrier(2, timeout=30)
    worker = object.__new__(Worker)  # no engine: only the sub-step wiring is under test
    worker._nexus_backend = backend
    worker._nexus_decode_lane = 1
    plan = PhasePlan(("p1",), ("d1",), 80, 52, "prefill_priority")
    runners = {p: StreamRecordingRunner(backend, barrier) for p in ("prefill", "decode")}
    with ThreadPoolExecutor(2) as ex:
        futures = {
            p: ex.submit(worker._nexus_sub_step, p, runners[p], None, None, plan, "ENGINE")
            for p in ("prefill", "decode")
        }
        assert collect_phase_results(futures) == ["out-decode-stream", "out-prefill-stream"]
    # Both phase threads order their streams after the engine thread's stream, passed in.
    assert sorted(backend.calls) == [("decode", 80, 52, "ENGINE"), ("prefill", 80, 52, "ENGINE")]
    for phase, r in runners.items():
        assert r.seen["stream"] == r.seen["sample_stream"] == f"{phase}-stream"
        assert r.seen["grad"] is False  # inference mode entered in the phase thread
    assert runners["decode"].seen["lane"] == 1 and runners["prefill"].seen["lane"] == 0


@pytest.mark.gpu
def test_real_partition_streams_from_two_threads() -> None:  # pragma: no cover - CUDA only
    from vllm_nexus.split import backends as gpu
    from vllm_nexus.split.controller import partition_grid

    s = gpu.probe()
    if not s.disjoint:
        pytest.skip(s.reason)
    b = gpu.make_backend("green_context", s)
    g = 8 if torch.cuda.get_device_capability()[0] >= 9 else 2
    grid = partition_grid(b.num_sms, g, 8)
    b.build(grid)
    p = grid[len(grid) // 2]
    want = {
        k: v.stream
        for k, v in zip(("prefill", "decode"), b.partitions.select(p, b.num_sms - p), strict=True)
    }
    x = torch.randn(2048, 2048, device="cuda")
    ref = x @ x
    engine = torch.cuda.current_stream()
    barrier = threading.Barrier(2, timeout=60)

    def run(phase: str) -> tuple[Any, Any]:
        with b.phase(phase, p, b.num_sms - p, engine):
            barrier.wait()
            cur = torch.cuda.current_stream()
            y = x @ x
        torch.cuda.synchronize()
        return cur, y

    with ThreadPoolExecutor(2) as ex:
        out = dict(zip(("prefill", "decode"), ex.map(run, ("prefill", "decode")), strict=True))
    for phase, (cur, y) in out.items():
        assert cur.cuda_stream == want[phase].cuda_stream, phase
        assert torch.allclose(y, ref)


def test_phase_threads_copy_the_engine_threads_intra_op_count() -> None:
    from vllm_nexus.split.worker import _init_phase_thread

    with ThreadPoolExecutor(1) as ex:
        default = ex.submit(torch.get_num_threads).result()
    want = 1 if default != 1 else 2  # differs from what a new thread gets by itself
    with ThreadPoolExecutor(1, initializer=_init_phase_thread, initargs=(want,)) as ex:
        assert ex.submit(torch.get_num_threads).result() == want


def test_pins_on_vllm_runner_internals() -> None:
    """vLLM 0.32 internals the split relies on (patches/README.md lists them): the runner
    constructor installs the process-wide offloader (hence runners.make_decode_runner restores
    it) and the private dummy-run methods the concurrent memory reserve calls."""
    import inspect

    from vllm.v1.worker.gpu_model_runner import GPUModelRunner

    assert "set_offloader(create_offloader(" in inspect.getsource(GPUModelRunner.__init__)
    params = inspect.signature(GPUModelRunner._dummy_run).parameters
    assert {"num_tokens", "uniform_decode", "is_profile"} <= set(params)
    assert list(inspect.signature(GPUModelRunner._dummy_sampler_run).parameters) == [
        "self",
        "hidden_states",
    ]


def test_pin_vllm_tracks_the_stream_entered_by_torch_cuda_stream() -> None:
    """Inside a phase, vLLM code asking ``vllm.utils.torch_utils.current_stream()`` must get the
    partition stream. vLLM 0.32 keeps that thread-local by replacing ``torch.cuda.set_stream``,
    which ``torch.cuda.stream(...)`` (used by backends.Backend.phase) calls on enter and exit."""
    import inspect

    import torch.cuda
    from vllm.utils import torch_utils

    # (On CPU builds vLLM's platform stubs torch.cuda.set_stream afterwards: check the source.)
    assert "torch.cuda.set_stream = _patched_set_stream" in inspect.getsource(torch_utils)
    assert "_current_stream_tls.value = stream" in inspect.getsource(
        torch_utils._patched_set_stream
    )
    assert "torch.cuda.set_stream(" in inspect.getsource(torch.cuda.StreamContext.__enter__)
