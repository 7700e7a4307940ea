"""Bootstrap of the Python sandbox, run as ``python -I _sandbox_child.py CONFIG`` in the child.

Standard library only (``_seccomp.py`` beside it is loaded by path). In order it: reads the seccomp
module, leaves the network (new network, PID and mount namespaces, or nothing for the audit-hook
fallback), as root enters a new root holding only the system directories, the interpreter's files
and the working directory, drops root to the sandbox uid, forbids gaining privileges again
(``PR_SET_NO_NEW_PRIVS``), enters a Landlock domain, loads the seccomp filter, sets the resource
limits, installs the audit hook (fallback only) and runs ``main.py`` from the working directory as
``__main__``. A failure before user code starts exits with status 125 and a message.

With a PID namespace there are three processes: this one stays outside and ends like the user's
code; PID 1 inside waits (and takes the namespace down when it exits); PID 2 runs the code.

``python -I _sandbox_child.py --probe`` prints which isolation this host allows, as JSON.
"""

from __future__ import annotations

import builtins
import ctypes
import errno
import functools
import importlib.util
import json
import os
import resource
import signal
import socket
import stat
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any, NoReturn, cast

SETUP_FAILED = 125
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNS = 0x00020000
_CLONE_NEWPID = 0x20000000
_MS_RDONLY = 0x1
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MS_NOEXEC = 0x8
_MS_REMOUNT = 0x20
_MS_BIND = 0x1000
_MS_MOVE = 0x2000
_MS_REC = 0x4000
_MS_PRIVATE = 0x40000
_PR_SET_NO_NEW_PRIVS = 38
_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_MAKE_DEVICES = (1 << 6) | (1 << 11)
"""LANDLOCK_ACCESS_FS_MAKE_CHAR | MAKE_BLOCK: handled and never granted (mknod of devices)."""
_AF_UNIX = int(socket.AF_UNIX)
_SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/etc")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
_DEV_LINKS = (
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
)
_SECCOMP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_seccomp.py")
_BLOCKED_EVENTS = (
    "socket.__new__",
    "socket.connect",
    "socket.bind",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.forkpty",
    "pty.spawn",
    "ctypes.",
    "gc.get_objects",
    "gc.get_referrers",
    "gc.get_referents",
)
_BLOCKED_IMPORTS = frozenset({"_posixsubprocess", "_xxsubinterpreters", "_testcapi", "_testinternalcapi"})


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def isolate(network: str, private_mounts: bool, tmp_bytes: int = 0) -> None:
    """Enter an empty network namespace (``namespace``, root) or user + network ones (``userns``).

    Both also get a PID namespace with its own ``/proc`` (see :func:`enter_pid_namespace`). With
    ``private_mounts`` (root) the mount namespace's root holds only what the code needs (see
    :func:`enter_new_root`).
    """
    if network == "userns":
        _unshare(_CLONE_NEWUSER | _CLONE_NEWNET | _CLONE_NEWNS | _CLONE_NEWPID)
        status_fd = enter_pid_namespace()
        _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
        _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    elif private_mounts:
        _unshare((_CLONE_NEWNET if network == "namespace" else 0) | _CLONE_NEWNS | _CLONE_NEWPID)
        status_fd = enter_pid_namespace()
        _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
        enter_new_root(os.getcwd(), tmp_bytes or 64 * 1024 * 1024, interpreter_paths())
    else:
        _unshare(_CLONE_NEWNET if network == "namespace" else 0)
        return
    run_as_init(status_fd)


def enter_pid_namespace() -> int:
    """Fork into the PID namespace made by ``unshare(CLONE_NEWPID)``; only the child returns, as PID 1,
    with the pipe on which to report how the user's code ended.

    The parent stays outside, waits, and ends the way the user's code ended (same exit status or
    same signal), so the caller sees no difference. When PID 1 exits, the kernel kills every
    process left in the namespace, including ones that left the process group.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        return write
    os.close(write)
    _, init_status = os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as pipe:
        reported = pipe.read()
    _end_like(int(reported) if reported else init_status)


def run_as_init(status_fd: int) -> None:
    """In PID 1: fork the process that runs the code (it returns), then wait for it as init.

    User code is not PID 1 because the kernel drops the default action of signals sent to an
    init process (``SIGXCPU`` from the CPU limit would be ignored).
    """
    worker = os.fork()
    if worker == 0:
        os.close(status_fd)
        return
    while True:
        pid, status = os.wait()  # also reaps orphans, which the namespace hands to its PID 1
        if pid == worker:
            os.write(status_fd, str(status).encode())
            os._exit(0)


def _end_like(status: int) -> NoReturn:
    """Exit with the wait ``status`` of another process: its exit code, or death by its signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else SETUP_FAILED)


def interpreter_paths() -> list[str]:
    """The files and directories the interpreter reads, each once (no path inside another).

    The executable, its directory, ``pyvenv.cfg``, ``libpython``, and the ``sys.path`` entries that
    lie inside the interpreter's prefixes (standard library, ``lib-dynload``, ``site-packages``);
    not what ``.pth`` files add from elsewhere (an editable install's source tree).
    """
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
    found = {os.path.dirname(os.path.realpath(sys.executable)), os.path.realpath(os.path.dirname(sys.executable))}
    found.add(os.path.realpath(sys.executable))
    found.update(p for p in (os.path.join(prefix, "pyvenv.cfg") for prefix in prefixes) if os.path.isfile(p))
    libdir = os.path.join(os.path.realpath(sys.base_prefix), "lib")
    if os.path.isdir(libdir):
        found.update(os.path.join(libdir, name) for name in os.listdir(libdir) if name.startswith("libpython"))
    for entry in sys.path:
        real = os.path.realpath(entry) if entry else ""
        if real and os.path.exists(real) and any(_within(real, prefix) for prefix in prefixes):
            found.add(real)
    ordered = sorted(found)
    return [p for p in ordered if not any(p != q and _within(p, q) for q in ordered)]


def _within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def enter_new_root(workdir: str, tmp_bytes: int, interpreter: list[str]) -> None:
    """``chroot`` into a fresh tmpfs holding, read-only, only the system directories, the
    interpreter's files and (writable) ``workdir``, with a new ``/proc``, a minimal ``/dev`` and
    empty size-limited ``/tmp``, ``/var/tmp`` and ``/dev/shm``. Nothing else of the host's
    filesystem (home and project directories, a ``.env`` beside the virtualenv) is reachable."""
    system = [p for p in _SYSTEM_DIRS if os.path.isdir(p) and not os.path.islink(p)]
    own = [p for p in interpreter if not any(_within(p, directory) for directory in system)]
    binds = [(p, True) for p in system + own] + [(p, False) for p in _DEVICES if os.path.exists(p)]
    binds.append((workdir, False))
    sources = {path: os.open(path, os.O_PATH | os.O_CLOEXEC) for path, _ in binds}
    root = "/tmp" if os.path.isdir("/tmp") else "/mnt"
    _mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=1m")
    for top in _SYSTEM_DIRS:
        if os.path.islink(top):
            os.symlink(os.readlink(top), root + top)
    for directory in ("/tmp", "/var/tmp", "/dev/shm"):
        os.makedirs(root + directory)
        _mount("tmpfs", root + directory, "tmpfs", _MS_NOSUID | _MS_NODEV, f"mode=1777,size={tmp_bytes}")
    for path, read_only in sorted(binds):
        _bind(sources.pop(path), root + path, read_only)
    for name, target in _DEV_LINKS:
        os.symlink(target, f"{root}/dev/{name}")
    os.makedirs(root + "/proc")
    _mount("proc", root + "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    os.chdir(root)
    _mount(root, "/", None, _MS_MOVE)
    os.chroot(".")
    os.chdir(workdir)


def _bind(fd: int, target: str, read_only: bool) -> None:
    """Bind-mount what ``fd`` (``O_PATH``) names at ``target``, read-only unless told otherwise."""
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    if stat.S_ISDIR(os.fstat(fd).st_mode):
        os.makedirs(target, exist_ok=True)
    elif not os.path.exists(target):
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    _mount(f"/proc/self/fd/{fd}", target, None, _MS_BIND | _MS_REC)
    if read_only:
        _mount(None, target, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    os.close(fd)


def _unshare(flags: int) -> None:
    if flags:
        _check(_libc().unshare(flags), "unshare")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    args = [None if v is None else v.encode() for v in (source, target, fstype)]
    _check(_libc().mount(*args, flags, data.encode() if data else None), f"mount {target}")


def probe() -> dict[str, bool]:
    """Which namespace setups work here (each tried in a throwaway child process), whether the
    interpreter sits under a directory other users can't enter, and whether libseccomp and
    Landlock can be used."""
    found = {
        "namespace": _works_in_child(lambda: isolate("namespace", private_mounts=True)),
        "userns": _works_in_child(lambda: isolate("userns", private_mounts=False)),
        "seccomp": _works_in_child(lambda: _then(forbid_new_privileges, syscall_filter("audit-hook"))),
        "landlock": _works_in_child(lambda: _then(forbid_new_privileges, scope_ptrace)),
    }
    found["interpreter_private"] = any(_private_ancestor(p) for p in interpreter_paths())
    return found


def _then(*actions: Callable[[], None]) -> None:
    for action in actions:
        action()


def _private_ancestor(path: str) -> bool:
    """Whether a directory on the way to ``path`` is closed to other users."""
    current = "/"
    for name in path.strip("/").split("/")[:-1]:
        current = os.path.join(current, name)
        if not os.stat(current).st_mode & 0o001:
            return True
    return False


def _works_in_child(action: Callable[[], object]) -> bool:
    pid = os.fork()
    if pid == 0:
        try:
            action()
        except OSError:
            os._exit(1)
        os._exit(0)
    return os.waitpid(pid, 0)[1] == 0


def drop_privileges(uid: int | None, gid: int | None) -> None:
    """Become ``uid``/``gid`` for good (real, effective and saved ids; no supplementary groups)."""
    if uid is None or gid is None:
        return
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def forbid_new_privileges() -> None:
    """setuid binaries and file capabilities no longer raise privileges after this."""
    _check(_libc().prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")


def set_limits(limits: dict[str, list[int]]) -> None:
    """Apply ``{"RLIMIT_CPU": [soft, hard], ...}``."""
    for name, (soft, hard) in limits.items():
        resource.setrlimit(getattr(resource, name), (soft, hard))


def syscall_filter(network: str) -> Callable[[], None]:
    """Read ``_seccomp.py`` now (it may be out of sight once the new root is entered); the returned
    function loads the filter. Without namespaces it also stops programs and sockets other than
    ``AF_UNIX``."""
    spec = importlib.util.spec_from_file_location("_agentkit_seccomp", _SECCOMP)
    if spec is None or spec.loader is None:
        raise OSError(errno.ENOENT, f"can't load {_SECCOMP}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fallback = network == "audit-hook"
    return functools.partial(module.install, no_programs=fallback, unix_sockets_only=fallback)


def scope_ptrace() -> None:
    """Enter a Landlock domain: from now on this process and its children can't read or trace
    processes outside it (``/proc/<pid>/environ``, ``mem``, ``ptrace``), even under the same uid."""
    attr = ctypes.c_uint64(_LANDLOCK_MAKE_DEVICES)
    libc = _libc()
    fd = libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.sizeof(attr), 0)
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock_create_ruleset: {os.strerror(err)}")
    try:
        _check(libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, fd, 0), "landlock_restrict_self")
    finally:
        os.close(fd)


def disarm_fork_exec() -> None:
    """Replace ``_posixsubprocess.fork_exec``, which runs programs without an audit event, by a
    function that refuses; the hook then refuses importing the module again."""
    module = importlib.import_module("_posixsubprocess")

    def fork_exec(*args: object, **kwargs: object) -> None:
        raise PermissionError("_posixsubprocess.fork_exec is blocked in this sandbox (no programs)")

    setattr(module, "fork_exec", fork_exec)  # noqa: B010 (the stub declares no such attribute)


def audit_hook() -> Callable[[str, tuple[Any, ...]], None]:
    """The fallback's audit hook (best effort: it runs inside the interpreter it guards).

    It refuses sockets other than ``AF_UNIX``, running programs, ``ctypes``, importing
    ``_posixsubprocess`` anew (see :func:`disarm_fork_exec`), walking the garbage
    collector's objects, and opening another process's ``/proc`` entries or any ``/proc/*/mem``.
    The functions it calls are bound now, so replacing ``os.path.realpath`` later changes nothing.
    """
    realpath, getpid, fsdecode = os.path.realpath, os.getpid, os.fsdecode
    is_instance, text, count = isinstance, str, len
    blocked, imports, unix = _BLOCKED_EVENTS, _BLOCKED_IMPORTS, _AF_UNIX

    def proc_entry(path: object) -> str | None:
        """Why opening ``path`` is refused, if it names another process's ``/proc`` or any ``mem``."""
        if not is_instance(path, (text, bytes)):
            return None
        parts = realpath(fsdecode(cast("str | bytes", path))).split("/")
        if count(parts) < 3 or parts[1] != "proc" or not parts[2].isdigit():
            return None
        if parts[2] != text(getpid()):
            return "another process's /proc entry"
        return "process memory" if "mem" in parts[3:] else None

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.__new__" and count(args) > 1 and args[1] == unix:
            return
        reason = None
        if event.startswith(blocked) or (event == "import" and args[0] in imports):
            reason = f"{event} {args[0] if event == 'import' else ''}".strip()
        elif event == "open":
            reason = proc_entry(args[0])
        if reason:
            raise PermissionError(f"{reason} is blocked in this sandbox (no network, no programs, no other processes)")

    return hook


def run_main(path: str) -> None:
    """Execute ``path`` as the ``__main__`` module, printing tracebacks without this file's frame."""
    with open(path, encoding="utf-8") as handle:
        code = compile(handle.read(), path, "exec")
    module = types.ModuleType("__main__")
    module.__dict__.update({"__file__": path, "__builtins__": builtins})
    sys.modules["__main__"] = module
    sys.argv = [path]
    try:
        exec(code, module.__dict__)
    except SystemExit:
        raise
    except BaseException as exc:
        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next if exc.__traceback__ else None)
        sys.stderr.flush()
        os._exit(1)


def main() -> None:
    """Set the sandbox up from the JSON config in ``argv[1]``, then run the user's code."""
    if sys.argv[1] == "--probe":
        print(json.dumps(probe()))
        return
    config = json.loads(sys.argv[1])
    try:
        setup(config)
    except OSError as exc:
        print(f"sandbox setup failed: {exc}", file=sys.stderr)
        os._exit(SETUP_FAILED)
    if config["network"] == "audit-hook":
        disarm_fork_exec()
        sys.addaudithook(audit_hook())
    run_main(config["main"])


def setup(config: dict[str, Any]) -> None:
    """Namespaces, then the uid drop, then the kernel filters, then the resource limits."""
    load_filter = syscall_filter(config["network"]) if config.get("seccomp") else None
    isolate(config["network"], config["private_mounts"], config["tmp_bytes"])
    drop_privileges(config.get("uid"), config.get("gid"))
    forbid_new_privileges()
    if config.get("landlock"):
        scope_ptrace()
    if load_filter:
        load_filter()
    set_limits(config["rlimits"])


if __name__ == "__main__":
    main()
