"""The scheduler's metrics snapshot file (:class:`vllm_nexus.programs.metrics.SnapshotWriter`):
atomic, complete, cheap when nothing changed, and never fatal."""

from __future__ import annotations

import json
from dataclasses import asdict

from vllm_nexus.programs.metrics import SchedulerMetrics, SnapshotWriter, read_snapshots


def test_snapshot_holds_every_field_and_leaves_no_temporary_file(tmp_path):
    directory = tmp_path / "not-yet-created"
    m = SchedulerMetrics(engine="3", calls_completed=7)
    m.tenants.append({"tenant": "a", "counters": {"calls": 2}, "active_calls": 1, "lift": 0})
    w = SnapshotWriter(str(directory), "3")
    assert w.write(m, now=1.5)
    assert w.last_write == 1.5
    assert json.loads((directory / "engine_3.json").read_text()) == asdict(m)
    assert [p.name for p in directory.iterdir()] == ["engine_3.json"]
    assert read_snapshots(directory) == [asdict(m)]


def test_an_unchanged_snapshot_is_not_written_again_unless_its_file_is_gone(tmp_path):
    m = SchedulerMetrics()
    w = SnapshotWriter(str(tmp_path), "0")
    path = tmp_path / "engine_0.json"
    assert w.write(m, now=0.0)
    path.write_text("sentinel")  # an unchanged snapshot leaves the file alone ...
    assert w.write(m, now=1.0)
    assert path.read_text() == "sentinel"
    m.calls_completed += 1  # ... a changed one replaces it
    assert w.write(m, now=2.0)
    assert json.loads(path.read_text())["calls_completed"] == 1
    path.unlink()  # and a deleted file comes back even when nothing changed
    assert w.write(m, now=3.0)
    assert json.loads(path.read_text())["calls_completed"] == 1


def test_a_failed_write_disables_the_snapshot_instead_of_raising(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    w = SnapshotWriter(str(blocker / "sub"), "0")  # its directory cannot be created
    assert not w.write(SchedulerMetrics(), now=0.0)
    assert w.path is None
    assert "cannot write metrics snapshot" in caplog.text
    assert not w.write(SchedulerMetrics(), now=1.0)


def test_the_snapshot_directory_is_in_memory_when_the_system_has_dev_shm(tmp_path, monkeypatch):
    import tempfile
    from pathlib import Path

    from vllm_nexus.programs import metrics

    shm = tmp_path / "shm"
    shm.mkdir()
    monkeypatch.setattr(metrics, "SHM_DIR", str(shm))
    d = Path(metrics.snapshot_directory())
    assert d.parent == shm and d.name.startswith("vllm_nexus_metrics_") and d.is_dir()
    monkeypatch.setattr(metrics, "SHM_DIR", str(tmp_path / "absent"))  # no /dev/shm
    d = Path(metrics.snapshot_directory())
    assert d.parent == Path(tempfile.gettempdir())
    d.rmdir()


def test_register_collector_makes_its_directory_in_memory_and_removes_it_at_exit(
    tmp_path, monkeypatch
):
    import prometheus_client

    from vllm_nexus.programs import metrics

    shm = tmp_path / "shm"
    shm.mkdir()
    monkeypatch.setattr(metrics, "SHM_DIR", str(shm))
    monkeypatch.setattr(metrics, "_registered", False)
    monkeypatch.setenv(metrics.METRICS_DIR_ENV, "")  # recorded: what the plugin sets is undone
    monkeypatch.delenv(metrics.METRICS_DIR_ENV)
    registry = prometheus_client.CollectorRegistry()
    monkeypatch.setattr(prometheus_client, "REGISTRY", registry)
    at_exit = []
    monkeypatch.setattr(metrics.atexit, "register", lambda f, *a, **k: at_exit.append((f, a, k)))
    metrics.register_collector()
    directory = metrics.os.environ[metrics.METRICS_DIR_ENV]
    assert metrics.Path(directory).parent == shm
    m = SchedulerMetrics(calls_completed=4)
    assert SnapshotWriter(directory, "0").write(m, now=0.0)
    assert registry.get_sample_value("vllm_nexus_calls_finished_total",
                                     {"engine": "0", "outcome": "completed"}) == 4  # fmt: skip
    [(f, a, k)] = at_exit
    f(*a, **k)
    assert not metrics.Path(directory).exists()
