"""Each attack of issue 12 item 9 against the Python sandbox, in every isolation mode it can run in here.

The modes are forced with ``isolation=``; ``drop_privileges=False`` gives the non-root modes
(``userns``, ``audit-hook``) the code path they have for a normal user. One test runs the child
bootstrap as a real unprivileged user (Landlock keeps a same-uid parent's environment unreadable).
"""

from __future__ import annotations

import ast
import ctypes
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentkit_tools import _sandbox_child, _seccomp
from agentkit_tools.python_sandbox import PythonSandbox, SandboxResult

ROOT = os.geteuid() == 0
HOST = _sandbox_child.probe()
SECRET = "sk-agentkit-test-secret-0451"
root_only = pytest.mark.skipif(not ROOT, reason="the root mode (new root, uid drop) needs root")
needs_seccomp = pytest.mark.skipif(not HOST["seccomp"], reason="libseccomp.so.2 is not installed on this host")
MODES = [
    pytest.param("namespace", marks=pytest.mark.skipif(not (ROOT and HOST["namespace"]), reason="needs root")),
    pytest.param("userns", marks=pytest.mark.skipif(not HOST["userns"], reason="no user namespaces here")),
    "audit-hook",
]
HOOK_REFUSAL = "is blocked in this sandbox (no network, no programs, no other processes)"
FORK_EXEC_CAT = """
import os
{extra}
r, w = os.pipe()
err_r, err_w = os.pipe()
pid = fork_exec([b"/bin/cat", f"/proc/{{os.getppid()}}/environ".encode()], [b"/bin/cat"], True, (w,),
                None, None, -1, -1, -1, w, -1, -1, err_r, err_w, False, False, -1, None, None, None,
                -1, None, False)
os.close(w)
os.close(err_w)
os.waitpid(pid, 0)
print("ran:", "{secret}" in os.read(r, 1 << 20).decode(errors="replace"), os.read(err_r, 200))
"""


def sandbox(mode: str) -> PythonSandbox:
    return PythonSandbox(isolation=mode, drop_privileges=mode == "namespace")  # type: ignore[arg-type]


async def run(mode: str, code: str) -> SandboxResult:
    return await sandbox(mode).run(textwrap.dedent(code))


@pytest.fixture(autouse=True)
def secret_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTKIT_TEST_API_KEY", SECRET)  # the child's minimal environment must not carry it


@pytest.mark.parametrize("mode", MODES)
async def test_parent_environ_is_unreadable(mode: str) -> None:
    """The run's parent (the agent outside, or PID 1 inside a PID namespace) can't be read."""
    code = """
        import os
        for path in (f"/proc/{os.getppid()}/environ", f"/proc/{os.getppid()}/cmdline", "/proc/self/../1/environ"):
            try:
                print("READ", path, open(path, "rb").read())
            except OSError as exc:
                print("denied:", exc)
        print(sorted(os.environ))
        """
    result = await run(mode, code)
    assert SECRET not in result.stdout + result.stderr
    *lines, env = result.stdout.splitlines()
    assert "AGENTKIT_TEST_API_KEY" not in env
    environ_lines = [lines[0], lines[2]]
    if mode == "audit-hook":
        assert lines == [f"denied: another process's /proc entry {HOOK_REFUSAL}"] * 3
    elif mode == "namespace" or HOST["landlock"]:  # a root-owned PID 1, or Landlock
        assert all(line.startswith("denied: [Errno 13] Permission denied") for line in environ_lines), lines


@pytest.mark.parametrize("mode", MODES[:2])
async def test_proc_shows_only_the_run(mode: str) -> None:
    """A PID namespace with its own /proc: no host process (nor its cmdline) is visible."""
    code = """
        import os
        print(sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), os.getpid(), os.getppid())
        print(os.path.exists(f"/proc/{AGENT_PID}/cmdline"))
        """
    result = await run(mode, code.replace("AGENT_PID", str(os.getpid())))
    assert result.stdout.splitlines() == ["[1, 2] 2 1", "False"], result.stdout + result.stderr


@pytest.mark.parametrize("mode", ["namespace", "userns"])
async def test_programs_in_namespaces_cannot_read_parent_environ(mode: str) -> None:
    if (mode == "namespace" and not (ROOT and HOST["namespace"])) or (mode == "userns" and not HOST["userns"]):
        pytest.skip(f"{mode} is not available here")
    code = FORK_EXEC_CAT.format(extra="from _posixsubprocess import fork_exec", secret=SECRET)
    result = await run(mode, code)
    assert result.stdout == "ran: False b''\n", result.stdout + result.stderr
    assert "/environ: Permission denied" in result.stderr


async def test_audit_hook_refuses_fork_exec() -> None:
    code = FORK_EXEC_CAT.format(extra="from _posixsubprocess import fork_exec", secret=SECRET)
    result = await run("audit-hook", code)
    assert result.exit_code == 1
    assert result.stderr.rstrip().endswith(
        "PermissionError: _posixsubprocess.fork_exec is blocked in this sandbox (no programs)"
    )


async def test_audit_hook_refuses_a_fresh_posixsubprocess() -> None:
    code = """
        import sys
        del sys.modules["_posixsubprocess"]
        import _posixsubprocess
        """
    result = await run("audit-hook", code)
    assert result.stderr.rstrip().endswith(f"PermissionError: import _posixsubprocess {HOOK_REFUSAL}")


@pytest.mark.parametrize(
    "code",
    [
        "import os\nos.system('true')",
        "import os\nos.execv('/bin/true', ['true'])",
        "import os\nos.posix_spawn('/bin/true', ['true'], {})",
        "import ctypes\nctypes.CDLL(None)",
        "import gc\ngc.get_objects()",
        "import os\nopen(f'/proc/{os.getpid()}/mem', 'rb')",
    ],
)
async def test_audit_hook_refusals(code: str) -> None:
    result = await run("audit-hook", code)
    assert result.exit_code == 1
    assert result.stderr.rstrip().splitlines()[-1].startswith("PermissionError: ")
    assert result.stderr.rstrip().endswith(HOOK_REFUSAL)


async def test_audit_hook_survives_patching_realpath() -> None:
    code = """
        import os, os.path
        os.path.realpath = lambda path, **kwargs: "/nothing"
        open(f"/proc/{os.getppid()}/environ", "rb").read()
        """
    result = await run("audit-hook", code)
    assert result.stderr.rstrip().endswith(f"another process's /proc entry {HOOK_REFUSAL}")
    assert SECRET not in result.stdout


@needs_seccomp
@pytest.mark.parametrize("mode", [m for m in MODES if m != "audit-hook"])
async def test_new_user_namespace_mount_and_ptrace_are_refused(mode: str) -> None:
    code = """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        calls = {
            "unshare": lambda: libc.unshare(0x10000000),
            "clone": lambda: libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0),
            "mount": lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
            "ptrace": lambda: libc.ptrace(16, os.getppid(), 0, 0),
        }
        for name, call in calls.items():
            print(name, call(), os.strerror(ctypes.get_errno()))
        """
    result = await run(mode, code)
    assert result.stdout.splitlines() == [
        f"{name} -1 Operation not permitted" for name in ("unshare", "clone", "mount", "ptrace")
    ], result.stdout + result.stderr
    assert result.syscall_filter


@root_only
async def test_root_mode_shows_only_the_interpreter_of_a_virtualenv(tmp_path: Path) -> None:
    project = tmp_path / "project"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    (project / ".env").write_text(f"OPENAI_API_KEY={SECRET}\n")
    (project / ".env").chmod(0o644)
    os.chmod(tmp_path, 0o755)
    python = str(project / ".venv" / "bin" / "python")
    code = f"""
        import os, fractions, sys
        print(os.path.exists({str(project / ".env")!r}), sorted(os.listdir({str(project)!r})))
        print(sorted(os.listdir("/")))
        print(os.path.exists({str(Path.cwd())!r}), fractions.Fraction(2, 6))
        print([bool(os.statvfs(p).f_flag & os.ST_RDONLY) for p in (os.path.dirname(os.__file__), "/usr", ".")])
        """
    result = await PythonSandbox(python=python).run(textwrap.dedent(code))
    beside, top, rest, read_only = result.stdout.splitlines()
    assert beside == "False ['.venv']", result.stdout + result.stderr
    assert set(ast.literal_eval(top)) <= {
        "bin",
        "dev",
        "etc",
        "lib",
        "lib32",
        "lib64",
        "libx32",
        "proc",
        "root",
        "sbin",
        "tmp",
        "usr",
        "var",
    } | {Path(p).parts[1] for p in (sys.base_prefix, tmp_path)}
    assert rest == "False 1/3"
    assert read_only == "[True, True, False]"
    assert result.network_isolation == "namespace"


@root_only
@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="the tests do not run in a virtualenv")
async def test_root_mode_hides_the_project_around_the_running_venv() -> None:
    beside = [str(p) for p in Path(sys.prefix).parent.iterdir() if p.name != Path(sys.prefix).name]
    assert beside, "the virtualenv has siblings (the project's files)"
    result = await PythonSandbox().run(f"import os\nprint(any(map(os.path.lexists, {beside!r})))")
    assert result.stdout == "False\n", result.stdout + result.stderr


def _unprivileged_can_reach(path: str) -> bool:
    current = Path(path)
    if not current.stat().st_mode & 0o004:
        return False
    return all(parent.stat().st_mode & 0o001 for parent in current.parents)


AGENT = """
import json, os, shutil, subprocess, sys, tempfile
workdir = tempfile.mkdtemp()
open(os.path.join(workdir, "main.py"), "w").write(sys.argv[2])
config = {"network": sys.argv[1], "private_mounts": False, "tmp_bytes": 0, "rlimits": {},
          "main": "main.py", "seccomp": True, "landlock": True}
done = subprocess.run([sys.executable, "-I", sys.argv[3], json.dumps(config)], cwd=workdir,
                      env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
shutil.rmtree(workdir)
print(done.stdout + done.stderr)
"""


PARENT_ENVIRON = {
    "path": "import os\nprint(open(f'/proc/{os.getppid()}/environ').read())",
    # A path relative to a descriptor of /proc: the audit hook can't tell where it leads.
    "dir_fd": (
        "import os\nproc = os.open('/proc', os.O_RDONLY)\n"
        "print(os.open(f'{os.getppid()}/environ', os.O_RDONLY, dir_fd=proc))"
    ),
}


@root_only
@pytest.mark.parametrize("how", PARENT_ENVIRON)
@pytest.mark.parametrize("mode", MODES[1:])
def test_unprivileged_child_cannot_read_same_uid_agent(mode: str, how: str) -> None:
    python = shutil.which("python3", path="/usr/bin:/bin")
    child = _sandbox_child.__file__
    if python is None or not _unprivileged_can_reach(child) or not HOST["landlock"] or not HOST["seccomp"]:
        pytest.skip("needs /usr/bin/python3, a checkout other users can read, Landlock and libseccomp")
    agent = subprocess.run(
        [python, "-I", "-c", AGENT, mode, PARENT_ENVIRON[how], child],
        user=65534,
        group=65534,
        extra_groups=[],
        env={"AGENTKIT_TEST_API_KEY": SECRET, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert SECRET not in agent.stdout
    last = agent.stdout.rstrip().splitlines()[-1]
    by_hook = mode == "audit-hook" and how == "path"
    expected = f"another process's /proc entry {HOOK_REFUSAL}" if by_hook else "[Errno 13] Permission denied"
    assert last.startswith("PermissionError:") and expected in last, agent.stdout + agent.stderr


@needs_seccomp
def test_seccomp_filter_in_a_forked_process() -> None:
    """The filter of the fallback mode: no programs, no internet sockets, no namespaces; threads work."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        results = []
        try:
            ctypes.CDLL(None).prctl(38, 1, 0, 0, 0)
            _seccomp.install(no_programs=True, unix_sockets_only=True)
            for family in (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX):
                try:
                    socket.socket(family).close()
                    results.append("ok")
                except OSError as exc:
                    results.append(exc.strerror or "")
            try:
                os.execv("/bin/true", ["true"])
            except OSError as exc:
                results.append(f"{type(exc).__name__}:{exc.errno}")
            libc = ctypes.CDLL(None, use_errno=True)
            results.append(f"unshare {libc.unshare(0x10000000)} {ctypes.get_errno()}")
        finally:
            os.write(write, json.dumps(results).encode())
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    results = json.loads(os.read(read, 4096))
    os.close(read)
    assert results == ["Operation not permitted", "Operation not permitted", "ok", "PermissionError:1", "unshare -1 1"]
