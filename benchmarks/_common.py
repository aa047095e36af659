"""Shared helpers for benchmark scripts: machine description, timing, result files."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import sklearn
import torch

import skgan

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: Real MNIST beside the project root (see its README).
DEFAULT_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def args_record(args) -> dict:
    """Command-line arguments for a results file, paths relative to the repository."""
    return {
        k: os.path.relpath(v, ROOT) if isinstance(v, Path) else v for k, v in vars(args).items()
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit(root: Path = ROOT) -> str | None:
    """The checkout's ``git rev-parse HEAD`` (with ``+dirty`` for uncommitted changes).

    ``None`` outside a git checkout or without git: a benchmark never fails for it.
    """
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head or None


#: The commit when the benchmark started (this module is imported first): the code
#: that ran, even if the checkout moves on while a long run goes.
START_COMMIT = git_commit()


def machine(device: str) -> dict:
    """What ran the benchmark: host, CPU, cores, device, library versions and commit."""
    info = {
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": device,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "skgan": skgan.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "commit": START_COMMIT,
    }
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def commit_note(info: dict) -> str:
    """`` Commit <hash>.`` for a results file's machine line, or ``""`` when unknown."""
    return f" Commit {info['commit']}." if info.get("commit") else ""


def cpu_name(m: dict) -> str:
    """A machine's CPU and core count, e.g. ``AMD EPYC (2 cores)``."""
    return f"{m['cpu']} ({m['cpu_cores']} cores)"


def machine_line(m: dict, runs: list[dict] | None = None) -> str:
    """A results file's machine line; ``runs``: those of a table merged from several runs,
    whose threads, date and commit the per-run note names instead (every CPU they ran on
    is named here: a merged table's times are comparable only within one)."""
    gpu = f" ({m['gpu']})" if "gpu" in m else ""
    if runs:
        where = " and ".join(dict.fromkeys(cpu_name(run["machine"]) for run in runs))
        when = " Threads, date and commit of each run: below."
    else:
        where = f"{m['cpu']} ({m['cpu_cores']} cores, {m['torch_threads']} torch threads)"
        when = f" {m['date']}.{commit_note(m)}"
    return (
        f"Machine: {where}, device `{m['device']}`{gpu}; "
        f"torch {m['torch']}, sklearn {m['sklearn']};{when}"
    )


def run_footer(payload: dict) -> str:
    """A results file's last line: peak memory, total time, and whether the run finished."""
    return f"Peak RSS: {payload['peak_rss_mb']:.0f} MiB. Total {payload['seconds']:.0f} s." + (
        "" if payload.get("complete") else " (run incomplete: rows so far)"
    )


def _proc_status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB.

    Reads VmHWM: ``getrusage``'s ru_maxrss of a child started by a big parent
    starts at the parent's size (Linux carries it across fork and exec).
    """
    peak = _proc_status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Current resident memory of this process, in MiB (Linux only; else the peak)."""
    current = _proc_status_mb("VmRSS")
    return current if current is not None else peak_rss_mb()


@contextmanager
def timed(record: dict, key: str):
    """Store the block's wall-clock seconds in ``record[key]``."""
    start = time.perf_counter()
    yield
    record[key] = time.perf_counter() - start


def write_results(name: str, payload: dict, markdown: str, out: Path = RESULTS) -> None:
    """Write ``<name>.json`` and ``<name>.md`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    (out / f"{name}.md").write_text(markdown)
    print(markdown)
    print(f"wrote {out / name}.json and .md")
