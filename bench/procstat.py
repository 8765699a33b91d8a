"""CPU time and resident memory of a process, from /proc (Linux)."""

from __future__ import annotations

import os

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat") as file:
        fields = file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_bytes(pid: int) -> int:
    """The process's resident memory."""
    with open(f"/proc/{pid}/statm") as file:
        return int(file.read().split()[1]) * _PAGE


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
