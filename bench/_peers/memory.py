"""Resident memory of this process, from /proc (Linux): current, peak, and a peak reset."""

from __future__ import annotations

import resource
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kb(field: str) -> int | None:
    try:
        text = _STATUS.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def rss_kb() -> int:
    """Resident set size now, in KiB (``ru_maxrss`` where /proc is missing)."""
    value = _status_kb("VmRSS")
    return value if value is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_rss_kb() -> int:
    """Peak resident set size since start (or since :func:`reset_peak_rss`), in KiB."""
    value = _status_kb("VmHWM")
    return value if value is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak_rss() -> bool:
    """Reset the peak to the current RSS (``echo 5 > /proc/self/clear_refs``); False if not possible."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True
