"""The Python sandbox contains fork bombs, memory hogs, runaway CPU and output, and has no network."""

from __future__ import annotations

import os
import socket
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentkit_tools._sandbox_child import interpreter_paths
from agentkit_tools._uids import UID_RANGE, process_count
from agentkit_tools.python_sandbox import PythonSandbox, SandboxLimits, SandboxResult

ROOT = os.geteuid() == 0
UID_LOW, UID_HIGH = UID_RANGE
root_only = pytest.mark.skipif(not ROOT, reason="privilege drop and uid-wide cleanup need root")


def sandbox_processes() -> int:
    """Live processes owned by any sandbox uid."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry.name}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields["Uid"].split()[0])
        if UID_LOW <= uid < UID_HIGH and fields["State"].split()[0] not in ("Z", "X"):
            count += 1
    return count


async def run(code: str, **limits: Any) -> SandboxResult:
    sandbox = PythonSandbox(limits=SandboxLimits(**limits))
    return await sandbox.run(textwrap.dedent(code))


async def test_runs_code_and_captures_output() -> None:
    result = await run("import sys\nprint('hello')\nprint('oops', file=sys.stderr)\nsys.exit(3)")
    assert (result.stdout, result.stderr, result.exit_code) == ("hello\n", "oops\n", 3)
    assert result.killed_reason is None
    assert result.network_isolation in ("namespace", "userns", "audit-hook")


async def test_traceback_names_the_user_code_only() -> None:
    result = await run("def f():\n    raise ValueError('bad')\nf()")
    assert result.exit_code == 1
    assert 'File "main.py", line 3' in result.stderr
    assert "ValueError: bad" in result.stderr
    assert "_sandbox_child" not in result.stderr


async def test_fresh_temp_workdir_removed_afterwards() -> None:
    code = "import os\nopen('f.txt', 'w').write('x')\nprint(os.getcwd())\nprint(*sorted(os.listdir()))"
    result = await run(code)
    workdir, listing = result.stdout.splitlines()
    assert Path(workdir).name.startswith("agentkit-sandbox-")
    assert listing == "f.txt main.py"
    assert not Path(workdir).exists()


async def test_environment_does_not_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    result = await run("import os\nprint(sorted(os.environ))\nprint(os.environ.get('OPENAI_API_KEY'))")
    assert "sk-must-not-leak" not in result.stdout
    assert "OPENAI_API_KEY" not in result.stdout


async def test_stdin_is_empty() -> None:
    result = await run("input()")
    assert "EOFError" in result.stderr


class _Listener:
    """A TCP server on 127.0.0.1 that counts accepted connections."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.close()


@pytest.fixture
def listener() -> Iterator[_Listener]:
    server = _Listener()
    yield server
    server.stop.set()
    server.thread.join()
    server.sock.close()


async def test_no_network_even_to_loopback(listener: _Listener) -> None:
    code = f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {listener.port}), timeout=2)
            print("CONNECTED")
        except OSError as exc:
            print("blocked:", type(exc).__name__, exc)
        """
    result = await run(code)
    assert result.stdout.startswith("blocked:"), result.stdout + result.stderr
    assert listener.accepted == 0


async def test_no_dns_resolution() -> None:
    result = await run("import socket\nsocket.getaddrinfo('example.com', 80)")
    assert result.exit_code == 1
    assert "gaierror" in result.stderr or "blocked" in result.stderr or "Error" in result.stderr


async def test_audit_hook_fallback_blocks_sockets_and_programs(listener: _Listener) -> None:
    sandbox = PythonSandbox(isolation="audit-hook")
    code = f"""
        import socket, subprocess
        for action in (lambda: socket.create_connection(("127.0.0.1", {listener.port})),
                       lambda: subprocess.run(["true"])):
            try:
                action()
                print("ALLOWED")
            except PermissionError as exc:
                print("blocked:", exc)
        """
    result = await sandbox.run(textwrap.dedent(code))
    assert result.network_isolation == "audit-hook"
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("blocked:") for line in lines), result.stdout + result.stderr
    assert listener.accepted == 0


async def test_fork_bomb_is_bounded_and_cleaned_up() -> None:
    code = """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """
    start = time.perf_counter()
    result = await run(code, wall_seconds=3, cpu_seconds=2, max_processes=16)
    assert result.killed_reason in ("timeout", "cpu_time")
    assert time.perf_counter() - start < 8
    assert sandbox_processes() == 0
    assert (await run("print('alive')")).stdout == "alive\n"  # the host can still start processes


async def test_process_count_is_capped() -> None:
    code = """
        import os, time
        made = 0
        for _ in range(500):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            made += 1
        print(made)
        """
    start = time.perf_counter()
    result = await run(code, max_processes=8, wall_seconds=20)
    assert 0 < int(result.stdout) < 8
    assert time.perf_counter() - start < 5, "background children must not keep the run alive"
    assert sandbox_processes() == 0


@root_only
async def test_setsid_escapees_are_killed() -> None:
    code = """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(60)
            os._exit(0)
        time.sleep(0.3)
        print("parent done")
        """
    start = time.perf_counter()
    result = await run(code, wall_seconds=20)
    assert result.stdout == "parent done\n"
    assert time.perf_counter() - start < 5
    assert sandbox_processes() == 0


@pytest.mark.parametrize(
    "code",
    [
        "x = bytearray(4 * 1024 ** 3)",
        "chunks = []\nwhile True:\n    chunks.append(b'x' * 10 ** 7)",
    ],
)
async def test_memory_hog(code: str) -> None:
    result = await run(code, memory_bytes=256 * 1024 * 1024)
    assert result.killed_reason == "memory"
    assert "MemoryError" in result.stderr


async def test_cpu_limit() -> None:
    start = time.perf_counter()
    result = await run("while True:\n    pass", cpu_seconds=1, wall_seconds=20)
    assert result.killed_reason == "cpu_time"
    assert time.perf_counter() - start < 5


async def test_wall_timeout_kills_sleepers() -> None:
    start = time.perf_counter()
    result = await run("import time\ntime.sleep(60)", wall_seconds=1)
    assert result.killed_reason == "timeout"
    assert result.exit_code == -9
    assert time.perf_counter() - start < 3


async def test_output_is_truncated_with_a_note() -> None:
    result = await run("print('A' * 50_000 + 'END')", max_output_bytes=10_000)
    assert result.stdout_truncated
    assert result.killed_reason is None
    assert "bytes of output truncated" in result.stdout
    assert result.stdout.startswith("AAAA")
    assert result.stdout.rstrip().endswith("END")
    assert len(result.stdout) < 10_200


async def test_output_flood_is_stopped() -> None:
    start = time.perf_counter()
    result = await run("while True:\n    print('x' * 1000)", max_output_bytes=10_000, wall_seconds=20)
    assert result.killed_reason == "output_limit"
    assert time.perf_counter() - start < 5


async def test_file_size_limit() -> None:
    result = await run("open('big', 'wb').write(b'x' * 2_000_000)", max_file_bytes=1_000_000)
    assert result.killed_reason == "file_size"


@root_only
async def test_runs_unprivileged() -> None:
    code = """
        import os
        print(os.getuid(), os.geteuid(), os.getgroups())
        for path in ("/proc/1/environ", "/etc/shadow", "/root"):
            try:
                open(path).read() if path != "/root" else os.listdir(path)
                print("READ", path)
            except OSError as exc:
                print("denied", path, type(exc).__name__)
        """
    result = await run(code)
    ids, *lines = result.stdout.splitlines()
    uid, euid, groups = ids.split(" ", 2)
    assert UID_LOW <= int(uid) < UID_HIGH and uid == euid and groups == "[]"
    assert not any(line.startswith("READ /proc/1") or line.startswith("READ /etc/shadow") for line in lines)


def test_process_count_helper() -> None:
    assert process_count(os.getuid()) >= 1


def _interpreter_entries_below(directory: str) -> list[str]:
    paths = interpreter_paths()
    return sorted({p[len(directory) + 1 :].split("/")[0] for p in paths if p.startswith(directory + "/")})


@root_only
async def test_private_tmp_and_hidden_root() -> None:
    marker = f"agentkit-sandbox-marker-{os.getpid()}"
    code = f"""
        import os
        print(sorted(set(os.listdir("/tmp")) - {{os.path.basename(os.getcwd())}}))
        open("/tmp/{marker}", "w").write("x")
        open("/dev/shm/{marker}", "w").write("x")
        print(os.listdir("/root"))
        import fractions  # a stdlib module not loaded before the uid drop
        print(fractions.Fraction(1, 3))
        """
    result = await run(code)
    others_in_tmp, root_listing, fraction = result.stdout.splitlines()
    # Only the run's own directory, plus the interpreter's when it is installed below /tmp.
    assert others_in_tmp == repr(_interpreter_entries_below("/tmp")), result.stdout + result.stderr
    assert fraction == "1/3"
    assert not Path("/tmp", marker).exists()
    assert not Path("/dev/shm", marker).exists()
    if not os.stat("/root").st_mode & 0o001:  # a private /root: only the interpreter's part is shown
        on_path = [os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.executable)]
        shown = sorted({Path(p).parts[2] for p in on_path if p.startswith("/root/")})
        assert root_listing == repr(shown)


async def test_userns_mode_also_blocks_network(listener: _Listener) -> None:
    sandbox = PythonSandbox(isolation="userns", drop_privileges=False)
    code = f"import socket\nsocket.create_connection(('127.0.0.1', {listener.port}), timeout=2)"
    result = await sandbox.run(code)
    assert result.network_isolation == "userns"
    assert result.exit_code == 1
    assert "OSError" in result.stderr
    assert listener.accepted == 0
