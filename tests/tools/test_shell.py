"""The shell tool is off by default, runs only allowlisted programs, and never interprets shell syntax."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from agentkit_tools._errors import ToolPackError
from agentkit_tools.shell import Shell, ShellDisabled


def shell(tmp_path: Path, *commands: str, **kwargs: Any) -> Shell:
    return Shell(allowed_commands=commands, cwd=tmp_path, enabled=True, **kwargs)


async def test_disabled_by_default(tmp_path: Path) -> None:
    with pytest.raises(ShellDisabled, match="enabled=True"):
        await Shell(allowed_commands=["echo"], cwd=tmp_path).run("echo hi")


async def test_runs_allowed_command(tmp_path: Path) -> None:
    result = await shell(tmp_path, "echo").run("echo 'hello world'")
    assert (result.argv, result.stdout, result.exit_code) == (["echo", "hello world"], "hello world\n", 0)


@pytest.mark.parametrize(
    "command", ["rm -rf /", "/bin/echo hi", "./echo hi", "bash -c 'echo hi'", "ECHO hi", "echo\\ hi"]
)
async def test_only_allowlisted_programs(tmp_path: Path, command: str) -> None:
    with pytest.raises(ToolPackError, match="not allowed"):
        await shell(tmp_path, "echo").run(command)


@pytest.mark.parametrize("command", ["echo hi ; rm -rf x", "echo hi && id", "echo hi | cat", "echo hi > f", "echo &"])
async def test_operators_are_refused(tmp_path: Path, command: str) -> None:
    with pytest.raises(ToolPackError, match="without a shell"):
        await shell(tmp_path, "echo").run(command)
    assert not (tmp_path / "f").exists()


async def test_no_shell_interpretation(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("")
    result = await shell(tmp_path, "echo").run("echo $(id) `id` * $HOME ~ a;b")
    assert result.stdout == "$(id) `id` * $HOME ~ a;b\n"


async def test_bad_quoting(tmp_path: Path) -> None:
    with pytest.raises(ToolPackError, match="quoting"):
        await shell(tmp_path, "echo").run("echo 'unterminated")
    with pytest.raises(ToolPackError, match="empty"):
        await shell(tmp_path, "echo").run("   ")


async def test_program_resolved_at_construction(tmp_path: Path) -> None:
    fake = tmp_path / "ls"
    fake.write_text("#!/bin/sh\necho HIJACKED\n")
    fake.chmod(0o755)
    result = await shell(tmp_path, "ls").run("ls")
    assert "HIJACKED" not in result.stdout
    assert "ls" in result.stdout.split()


def test_unknown_or_path_commands_rejected_at_construction(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not found"):
        Shell(allowed_commands=["no-such-program-xyz"], cwd=tmp_path)
    with pytest.raises(ValueError, match="not paths"):
        Shell(allowed_commands=["/bin/echo"], cwd=tmp_path)


async def test_environment_is_minimal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    result = await shell(tmp_path, "env").run("env")
    assert "sk-must-not-leak" not in result.stdout
    assert f"HOME={tmp_path.resolve()}" in result.stdout


async def test_timeout(tmp_path: Path) -> None:
    start = time.perf_counter()
    result = await shell(tmp_path, "sleep", timeout=0.5).run("sleep 30")
    assert result.timed_out
    assert time.perf_counter() - start < 3


async def test_output_limit(tmp_path: Path) -> None:
    result = await shell(tmp_path, "seq", max_output_bytes=1000).run("seq 1 100000")
    assert result.stdout_truncated
    assert "bytes of output truncated" in result.stdout
    assert result.stdout.startswith("1\n2\n")
    assert len(result.stdout) < 1100


def _running(marker: str) -> bool:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if marker in Path(f"/proc/{entry.name}/cmdline").read_bytes().decode(errors="replace"):
                    return True
            except OSError:
                continue
    return False


@pytest.mark.skipif(os.geteuid() != 0, reason="PID namespaces need root")
async def test_background_processes_die_with_the_command(tmp_path: Path) -> None:
    start = time.perf_counter()
    result = await shell(tmp_path, "sh").run("sh -c 'setsid sleep 31.4159 & sleep 0.3; echo started'")
    assert result.stdout == "started\n"
    assert time.perf_counter() - start < 3
    time.sleep(0.1)
    assert not _running("31.4159")
