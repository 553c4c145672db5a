"""CPU use of a process group from /proc, to check that a server is idle before it is measured.

No psutil: the load client and the orchestrator run in the repository's venv, which has none.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _group_ticks(pgid: int) -> dict[int, tuple[int, str]]:
    """``pid -> (utime + stime in ticks, command)`` of every process in ``pgid``."""
    out: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        # the command sits in parentheses and may hold spaces: split after the last ')'
        comm = raw[raw.find("(") + 1 : raw.rfind(")")]
        fields = raw[raw.rfind(")") + 2 :].split()
        # fields[0] is state (field 3); pgrp is field 5, utime 14, stime 15
        if int(fields[2]) != pgid:
            continue
        out[int(entry.name)] = (int(fields[11]) + int(fields[12]), comm)
    return out


def _machine_busy() -> tuple[int, int]:
    parts = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    values = [int(v) for v in parts]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class CpuSample:
    cpu_percent: float  # of one core, summed over the group's processes
    processes: int
    new_pids: int  # processes that appeared during the sample (a crash-looping child shows here)
    gone_pids: int
    machine_busy_percent: float  # of all cores, everyone included (other users of the machine)
    busiest: str

    @property
    def idle(self) -> bool:
        return self.cpu_percent < 5.0 and self.new_pids == 0

    def describe(self) -> str:
        state = "idle" if self.idle else "NOT idle"
        return (
            f"server {state}: {self.cpu_percent:.1f}% of a core over {self.processes} process(es)"
            f" (+{self.new_pids}/-{self.gone_pids} during the sample; busiest {self.busiest});"
            f" whole machine {self.machine_busy_percent:.0f}% busy"
        )


def sample(pgid: int, seconds: float = 1.0) -> CpuSample:
    before, (busy0, total0) = _group_ticks(pgid), _machine_busy()
    t0 = time.monotonic()
    time.sleep(seconds)
    after, (busy1, total1) = _group_ticks(pgid), _machine_busy()
    elapsed = time.monotonic() - t0
    deltas = {pid: ticks - before.get(pid, (0, ""))[0] for pid, (ticks, _) in after.items()}
    busiest = max(deltas, key=deltas.__getitem__, default=None)
    return CpuSample(
        cpu_percent=100.0 * sum(deltas.values()) / CLK_TCK / elapsed,
        processes=len(after),
        new_pids=len(after.keys() - before.keys()),
        gone_pids=len(before.keys() - after.keys()),
        machine_busy_percent=100.0 * (busy1 - busy0) / max(1, total1 - total0),
        busiest=f"{after[busiest][1]}[{busiest}]" if busiest is not None else "-",
    )


def wait_idle(pgid: int, timeout: float = 30.0) -> CpuSample:
    """Sample for a second at a time until the group is idle or ``timeout`` passes; the last sample."""
    deadline = time.monotonic() + timeout
    while True:
        got = sample(pgid)
        if got.idle or time.monotonic() >= deadline:
            return got
