"""Run untrusted Python code in a limited subprocess.

Each run gets a fresh temporary working directory, a minimal environment (no secrets from the
parent's environment) and ``python -I``. The child is limited by ``setrlimit``: CPU seconds, address
space, file size, open files, no core dumps, and a process count. A wall-clock timeout kills
everything the run started. ``PR_SET_NO_NEW_PRIVS`` stops setuid binaries from raising privileges.

Isolation depends on what the host allows, and every result says which was used
(``network_isolation``, ``syscall_filter``); ``docs/concepts/tool_packs.md`` has the table of what
each mode guarantees, as tested.

* Root (containers, CI), ``namespace``: empty **network**, **PID** and **mount namespaces**. The
  code runs in a new root that holds only the system directories, the interpreter's own files and
  the working directory (the project around a virtualenv, a ``.env`` beside it, ``/root`` and
  ``/home`` are not there), with private ``/proc``, ``/tmp``, ``/var/tmp`` and ``/dev/shm``. It runs
  under a **dedicated, otherwise unused uid**, which makes ``RLIMIT_NPROC`` exact, and the end of
  the PID namespace plus ``kill(-1)`` as that uid remove every process of the run.
* Not root, unprivileged user namespaces available, ``userns``: **user + network + PID + mount
  namespaces** (own ``/proc``); the filesystem is the user's, unconfined.
* Neither, ``audit-hook``: a seccomp filter stops programs (``execve``) and sockets other than
  ``AF_UNIX`` in the kernel; an audit hook refuses them too, plus ``ctypes`` and other processes'
  ``/proc`` entries. The hook is **not a security boundary** (it runs inside the interpreter it
  guards); the filesystem is the user's, unconfined.

In every mode a seccomp filter (:mod:`agentkit_tools._seccomp`, when libseccomp is installed)
refuses new namespaces, mounts, ``ptrace`` and other kernel surfaces, and Landlock (Linux 5.13+)
keeps other processes' ``/proc/<pid>/environ`` and ``mem`` unreadable even under the same uid.

Not covered: memory is limited per process, so the total is at most
``max_processes * memory_bytes``; files readable by every user in the system directories (``/etc``)
stay readable.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agentkit.tools import Tool, tool
from agentkit_tools._errors import ToolPackError
from agentkit_tools._process import ProcessOutcome, kill_group, run_process
from agentkit_tools._sandbox_child import SETUP_FAILED
from agentkit_tools._uids import free_uid, kill_uid, process_count

__all__ = [
    "KillReason",
    "NetworkIsolation",
    "PythonSandbox",
    "SandboxError",
    "SandboxLimits",
    "SandboxResult",
    "python_tools",
]

KillReason = Literal["timeout", "cpu_time", "memory", "file_size", "output_limit", "signal"]
NetworkIsolation = Literal["namespace", "userns", "audit-hook", "none"]

_CHILD = str(Path(__file__).with_name("_sandbox_child.py"))
_PROBE = "import ctypes, sys; sys.exit(ctypes.CDLL(None, use_errno=True).unshare({flags}) != 0)"


class SandboxError(ToolPackError):
    """The sandbox could not be set up (not an error in the user's code)."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandboxed run."""

    cpu_seconds: int = 10
    wall_seconds: float = 30.0
    memory_bytes: int = 512 * 1024 * 1024
    """Address-space limit per process (``RLIMIT_AS``)."""
    max_processes: int = 32
    """Processes and threads the run may have at once."""
    max_file_bytes: int = 16 * 1024 * 1024
    max_open_files: int = 64
    max_output_bytes: int = 64 * 1024
    """Per stream; the middle of longer output is replaced by a note."""
    tmp_bytes: int = 64 * 1024 * 1024
    """Size of the private ``/tmp``, ``/var/tmp`` and ``/dev/shm`` (root with namespaces only)."""


@dataclass(frozen=True)
class SandboxResult:
    """What a run printed and how it ended."""

    stdout: str
    stderr: str
    exit_code: int | None
    """The exit status; negative when a signal ended the process (``-9`` is SIGKILL)."""
    killed_reason: KillReason | None
    """Why the run was stopped, if a limit stopped it."""
    stdout_truncated: bool
    stderr_truncated: bool
    duration_seconds: float
    network_isolation: NetworkIsolation
    syscall_filter: bool
    """Whether the seccomp filter was loaded (it needs libseccomp on the host)."""


class PythonSandbox:
    """Runs code strings in fresh, limited Python subprocesses."""

    def __init__(
        self,
        *,
        limits: SandboxLimits | None = None,
        allow_network: bool = False,
        python: str = sys.executable,
        drop_privileges: bool = True,
        temp_dir: str | None = None,
        isolation: NetworkIsolation | None = None,
    ) -> None:
        """``drop_privileges`` (root only) runs each run under a dedicated uid; keep it on.

        ``isolation`` forces a network isolation mode instead of the strongest one available.
        """
        self.limits = limits or SandboxLimits()
        self.python = python
        self.temp_dir = temp_dir
        host = _probe(python)
        self.privileged = drop_privileges and os.geteuid() == 0
        self.isolation = isolation or _isolation(host, allow_network)
        if isolation in ("namespace", "userns") and not host.get(isolation):
            raise SandboxError(f"Network isolation {isolation!r} is not available on this host.")
        self.private_mounts = self.privileged and host.get("namespace", False)
        self.syscall_filter = host.get("seccomp", False)
        self.landlock = host.get("landlock", False)
        if self.privileged and not self.private_mounts and host.get("interpreter_private"):
            raise SandboxError(
                f"The sandbox drops root to an unprivileged uid, but {python} lives under a directory "
                "other users can't enter and mount namespaces are unavailable to expose it. Pass "
                "python= an interpreter readable by all users (e.g. /usr/bin/python3)."
            )

    async def run(self, code: str) -> SandboxResult:
        """Run ``code`` as a script and report its output and how it ended."""
        uid = free_uid() if self.privileged else None
        workdir = tempfile.mkdtemp(prefix="agentkit-sandbox-", dir=self.temp_dir)
        try:
            Path(workdir, "main.py").write_text(code, encoding="utf-8")
            if uid is not None:
                os.chown(workdir, uid, uid)
            outcome = await self._execute(workdir, uid)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return self._result(outcome)

    async def _execute(self, workdir: str, uid: int | None) -> ProcessOutcome:
        config = {
            "network": self.isolation,
            "private_mounts": self.private_mounts,
            "tmp_bytes": self.limits.tmp_bytes,
            "uid": uid,
            "gid": uid,
            "rlimits": self._rlimits(uid),
            "seccomp": self.syscall_filter,
            "landlock": self.landlock,
            "main": "main.py",
        }
        argv = [self.python, "-I", _CHILD, json.dumps(config)]

        async def reap(pid: int) -> None:
            kill_group(pid)
            if uid is not None:
                await kill_uid(uid, python=self.python)

        return await run_process(
            argv,
            cwd=workdir,
            env=_environment(workdir),
            timeout=self.limits.wall_seconds,
            max_output_bytes=self.limits.max_output_bytes,
            reap=reap,
        )

    def _rlimits(self, uid: int | None) -> dict[str, list[int]]:
        lim = self.limits
        nproc = lim.max_processes if uid is not None else process_count(os.getuid()) + lim.max_processes
        return {
            "RLIMIT_CPU": [lim.cpu_seconds, lim.cpu_seconds + 1],
            "RLIMIT_AS": [lim.memory_bytes, lim.memory_bytes],
            "RLIMIT_FSIZE": [lim.max_file_bytes, lim.max_file_bytes],
            "RLIMIT_NOFILE": [lim.max_open_files, lim.max_open_files],
            "RLIMIT_CORE": [0, 0],
            "RLIMIT_NPROC": [nproc, nproc],
        }

    def _result(self, outcome: ProcessOutcome) -> SandboxResult:
        stderr = outcome.stderr.text()
        if outcome.returncode == SETUP_FAILED and stderr.startswith("sandbox setup failed"):
            raise SandboxError(
                f"The Python sandbox could not start: {stderr.strip()}. Run as root or enable "
                "unprivileged user namespaces, or pass allow_network=True if network isolation is not needed."
            )
        return SandboxResult(
            stdout=outcome.stdout.text(),
            stderr=stderr,
            exit_code=outcome.returncode,
            killed_reason=_kill_reason(outcome, stderr),
            stdout_truncated=outcome.stdout.truncated,
            stderr_truncated=outcome.stderr.truncated,
            duration_seconds=round(outcome.duration, 3),
            network_isolation=self.isolation,
            syscall_filter=self.syscall_filter,
        )


def _kill_reason(outcome: ProcessOutcome, stderr: str) -> KillReason | None:
    if outcome.timed_out:
        return "timeout"
    if outcome.output_overflow:
        return "output_limit"
    code = outcome.returncode
    if code is not None and code < 0:
        by_signal: dict[int, KillReason] = {signal.SIGXCPU: "cpu_time", signal.SIGXFSZ: "file_size"}
        return by_signal.get(-code, "signal")
    last_line = stderr.rstrip().rsplit("\n", 1)[-1]
    if code and last_line.startswith("MemoryError"):
        return "memory"
    if code and "File too large" in last_line:
        return "file_size"
    return None


def _environment(workdir: str) -> dict[str, str]:
    """A minimal environment: nothing of the parent's (API keys) leaks in."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }


@functools.cache
def _probe(python: str) -> dict[str, bool]:
    """What the host allows, probed once per interpreter by the child bootstrap."""
    probe = subprocess.run([python, "-I", _CHILD, "--probe"], capture_output=True, timeout=60, check=False)
    if probe.returncode != 0:
        raise SandboxError(f"Could not start the sandbox interpreter {python}: {probe.stderr.decode()[-500:]}")
    found: dict[str, bool] = json.loads(probe.stdout)
    return found


def _isolation(host: dict[str, bool], allow_network: bool) -> NetworkIsolation:
    if allow_network:
        return "none"
    if os.geteuid() == 0 and host.get("namespace"):
        return "namespace"
    return "userns" if host.get("userns") else "audit-hook"


def python_tools(
    *, limits: SandboxLimits | None = None, allow_network: bool = False, python: str = sys.executable
) -> list[Tool[Any]]:
    """The ``run_python`` tool (the host is probed for isolation now, once per interpreter)."""
    sandbox = PythonSandbox(limits=limits, allow_network=allow_network, python=python)

    @tool(side_effect="idempotent")
    async def run_python(code: str) -> SandboxResult:
        """Run a Python 3 program in a fresh sandbox and return its stdout, stderr and exit code.

        The sandbox has no network, a temporary working directory that is deleted afterwards, and
        limits on CPU time, memory, processes and output. Print what you want to see.

        Args:
            code: The complete program, e.g. "import math\\nprint(math.factorial(20))".
        """
        return await sandbox.run(code)

    return [run_python]
