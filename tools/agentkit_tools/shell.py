"""Run allowlisted commands, without a shell.

Off unless ``enabled=True``. The command line is split with :func:`shlex.split` and run directly
(never ``sh -c``), so pipes, redirections, ``;``, ``&&``, ``$(...)`` and globs have no effect; a
lone operator token is refused with an explanation. ``argv[0]`` must be one of ``allowed_commands``
and is run by the absolute path resolved when the :class:`Shell` was built (a ``./ls`` planted in the
working directory or a changed ``PATH`` can't substitute another program). The environment is
minimal (no API keys), output is bounded, and a timeout kills the command's whole process group —
as root, the command runs as PID 1 of a new PID namespace, so background processes die with it.

The allowlist controls *which program* runs, not what it does: ``find -exec``, ``git -c`` or an
interpreter can run anything. Allow only commands whose every argument is acceptable. Shell tools
are declared mutating and require approval by default.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentkit.tools import Tool, tool
from agentkit_tools._errors import ToolPackError
from agentkit_tools._process import kill_group, run_process

__all__ = ["Shell", "ShellDisabled", "ShellResult", "shell_tools"]

DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
_OPERATORS = frozenset({"|", "||", "&", "&&", ";", ";;", ">", ">>", "<", "<<", "2>", "2>&1", "&>", "$(", "`"})


class ShellDisabled(ToolPackError):
    """The shell tool was used without being enabled."""


@dataclass(frozen=True)
class ShellResult:
    """What a command printed and how it ended."""

    argv: list[str]
    stdout: str
    stderr: str
    exit_code: int | None
    timed_out: bool
    stdout_truncated: bool
    stderr_truncated: bool


class Shell:
    """Runs commands from an allowlist in ``cwd``."""

    def __init__(
        self,
        *,
        allowed_commands: Iterable[str],
        cwd: str | os.PathLike[str],
        enabled: bool = False,
        timeout: float = 30.0,
        max_output_bytes: int = 64 * 1024,
        path: str = DEFAULT_PATH,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Commands are resolved on ``path`` now; an unknown one raises ``ValueError``."""
        self.enabled = enabled
        self.cwd = str(Path(cwd).resolve(strict=True))
        self.timeout = timeout
        self.max_output_bytes = max_output_bytes
        self.commands = {name: _resolve(name, path) for name in allowed_commands}
        self.env = {"PATH": path, "HOME": self.cwd, "LANG": "C.UTF-8", **(env or {})}

    async def run(self, command: str) -> ShellResult:
        """Run one command line, e.g. ``git log --oneline -5``."""
        if not self.enabled:
            raise ShellDisabled(
                "The shell tool is disabled. The operator must enable it with "
                "Shell(enabled=True, allowed_commands=[...])."
            )
        argv = self._argv(command)
        outcome = await run_process(
            [*_pid_namespace_prefix(), self.commands[argv[0]], *argv[1:]],
            cwd=self.cwd,
            env=self.env,
            timeout=self.timeout,
            max_output_bytes=self.max_output_bytes,
            reap=_reap,
        )
        return ShellResult(
            argv=argv,
            stdout=outcome.stdout.text(),
            stderr=outcome.stderr.text(),
            exit_code=outcome.returncode,
            timed_out=outcome.timed_out,
            stdout_truncated=outcome.stdout.truncated,
            stderr_truncated=outcome.stderr.truncated,
        )

    def _argv(self, command: str) -> list[str]:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ToolPackError(f"Can't parse the command line ({exc}); check the quoting.") from None
        if not argv:
            raise ToolPackError("The command is empty. Give a program and its arguments.")
        operators = [token for token in argv if token in _OPERATORS]
        if operators:
            raise ToolPackError(
                f"Shell operators {operators} are not supported: commands run without a shell. "
                "Run one program per call, without pipes or redirection."
            )
        if argv[0] not in self.commands:
            raise ToolPackError(f"Command {argv[0]!r} is not allowed. Allowed commands: {sorted(self.commands)}.")
        return argv


def _resolve(name: str, path: str) -> str:
    if not name or "/" in name:
        raise ValueError(f"Allowed commands are program names like 'git', not paths: {name!r}.")
    found = shutil.which(name, path=path)
    if found is None:
        raise ValueError(f"Allowed command {name!r} was not found on PATH {path!r}; install it or remove it.")
    return found


async def _reap(pid: int) -> None:
    kill_group(pid)


@functools.cache
def _pid_namespace_prefix() -> tuple[str, ...]:
    """``unshare --pid`` when it works here (root), so the command's descendants die with it."""
    unshare = shutil.which("unshare", path=DEFAULT_PATH)
    if os.geteuid() != 0 or unshare is None:
        return ()
    prefix = (unshare, "--pid", "--fork", "--kill-child", "--")
    probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=30, check=False)
    return prefix if probe.returncode == 0 else ()


def shell_tools(
    *,
    allowed_commands: Iterable[str],
    cwd: str | os.PathLike[str],
    enabled: bool = False,
    requires_approval: bool = True,
    timeout: float = 30.0,
    max_output_bytes: int = 64 * 1024,
) -> list[Tool[Any]]:
    """The ``run_command`` tool, or no tool at all unless ``enabled=True``.

    It is declared mutating and, by default, every call waits for human approval.
    """
    if not enabled:
        return []
    shell = Shell(
        allowed_commands=allowed_commands,
        cwd=cwd,
        enabled=True,
        timeout=timeout,
        max_output_bytes=max_output_bytes,
    )
    allowed = ", ".join(sorted(shell.commands))

    @tool(side_effect="mutating", requires_approval=requires_approval)
    async def run_command(command: str) -> ShellResult:
        """Run one program with arguments (no shell: no pipes, redirection, ';' or '&&').

        Args:
            command: The command line, e.g. "git status --short".
        """
        return await shell.run(command)

    run_command.description += f"\n\nAllowed programs: {allowed}."
    return [run_command]
