"""Bootstrap of the Python sandbox, run as ``python -I _sandbox_child.py CONFIG`` in the child.

Standard library only. In order it: leaves the network (new network and mount namespaces, or an
audit hook as a fallback), drops root to the sandbox uid, forbids gaining privileges again
(``PR_SET_NO_NEW_PRIVS``), sets the resource limits, then runs ``main.py`` from the working directory
as ``__main__``. A failure before user code starts exits with status 125 and a message.

When the interpreter lives under a directory other users can't enter (``/root/.pyenv``, mode 700
``/root``), the sandbox uid could not import the standard library. In the private mount namespace
such a directory is covered with an empty tmpfs into which only the interpreter's own directories
are bind-mounted back, so the code sees Python and nothing else of that directory.

``python -I _sandbox_child.py --probe`` prints which isolation this host allows, as JSON.
"""

from __future__ import annotations

import builtins
import ctypes
import errno
import json
import os
import resource
import socket
import stat
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any

SETUP_FAILED = 125
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNS = 0x00020000
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MS_BIND = 0x1000
_MS_REC = 0x4000
_MS_PRIVATE = 0x40000
_PR_SET_NO_NEW_PRIVS = 38
_AF_UNIX = int(socket.AF_UNIX)
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
    "pty.spawn",
    "ctypes.dlopen",
    "ctypes.dlsym",
    "ctypes.cdata",
    "ctypes.call_function",
)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def isolate(network: str, private_mounts: bool, tmp_bytes: int = 0) -> None:
    """Enter an empty network namespace (``namespace``, root) or user + network ones (``userns``).

    With ``private_mounts`` (root) also a mount namespace with fresh temporary directories (see
    :func:`private_tmp`) where the interpreter is exposed.
    """
    if network == "userns":
        _unshare(_CLONE_NEWUSER | _CLONE_NEWNET)
        return
    _unshare((_CLONE_NEWNET if network == "namespace" else 0) | (_CLONE_NEWNS if private_mounts else 0))
    if private_mounts:
        _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
        interpreter = interpreter_paths()
        if tmp_bytes:
            private_tmp(os.getcwd(), tmp_bytes, interpreter)
        expose(interpreter)


def private_tmp(workdir: str, size: int, keep_visible: list[str]) -> None:
    """Cover ``/tmp``, ``/var/tmp`` and ``/dev/shm`` with empty size-limited tmpfs, so nothing the
    code writes there outlives the run; ``workdir`` is bind-mounted back at its own path."""
    keep = os.open(workdir, os.O_PATH | os.O_CLOEXEC)
    for directory in ("/tmp", "/var/tmp", "/dev/shm"):
        if not os.path.isdir(directory) or os.path.islink(directory) or directory in keep_visible:
            continue
        # An interpreter installed below the directory (a venv in /tmp/...) stays reachable.
        inside = {p[len(directory) + 1 :].split("/")[0] for p in keep_visible if p.startswith(directory + "/")}
        _cover(directory, inside, f"mode=1777,size={size}")
    os.makedirs(workdir, exist_ok=True)
    _mount(f"/proc/self/fd/{keep}", workdir, None, _MS_BIND)
    os.close(keep)
    os.chdir(workdir)


def interpreter_paths() -> list[str]:
    """Directories the interpreter reads after privileges are dropped."""
    found = [os.path.dirname(os.path.realpath(sys.executable)), sys.prefix, sys.base_prefix]
    found += [p for p in sys.path if p and os.path.isdir(p)]
    return sorted({os.path.realpath(p) for p in found})


def expose(paths: list[str]) -> None:
    """Make ``paths`` reachable for any uid, hiding the rest of each private ancestor directory."""
    for _ in range(8):
        private: dict[str, set[str]] = {}
        for path in paths:
            hit = _private_ancestor(path)
            if hit:
                private.setdefault(hit[0], set()).add(hit[1])
        if not private:
            return
        for directory, names in private.items():
            _cover(directory, names)
    raise OSError(errno.ELOOP, "interpreter directories nest too many private directories")


def _private_ancestor(path: str) -> tuple[str, str] | None:
    """The first ancestor of ``path`` that others can't enter, and the child on the way."""
    current = "/"
    for name in path.strip("/").split("/"):
        if not os.stat(current).st_mode & 0o001:
            return current, name
        current = os.path.join(current, name)
    return None


def _cover(directory: str, keep: set[str], options: str = "mode=0755,size=64k") -> None:
    """Mount an empty tmpfs on ``directory`` and bind-mount the entries ``keep`` back into it."""
    fds = {name: os.open(os.path.join(directory, name), os.O_PATH | os.O_CLOEXEC) for name in keep}
    _mount("tmpfs", directory, "tmpfs", _MS_NOSUID | _MS_NODEV, options)
    for name, fd in fds.items():
        target = os.path.join(directory, name)
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            os.mkdir(target)
        else:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
        _mount(f"/proc/self/fd/{fd}", target, None, _MS_BIND | _MS_REC)
        os.close(fd)


def _unshare(flags: int) -> None:
    if flags:
        _check(_libc().unshare(flags), "unshare")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    args = [None if v is None else v.encode() for v in (source, target, fstype)]
    _check(_libc().mount(*args, flags, data.encode() if data else None), f"mount {target}")


def probe() -> dict[str, bool]:
    """Which namespace setups work here (each tried in a throwaway child process), and whether the
    interpreter sits under a directory other users can't enter."""
    found = {
        "namespace": _works_in_child(lambda: isolate("namespace", private_mounts=True)),
        "userns": _works_in_child(lambda: isolate("userns", private_mounts=False)),
    }
    found["interpreter_private"] = any(_private_ancestor(p) for p in interpreter_paths())
    return found


def _works_in_child(action: Callable[[], None]) -> bool:
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


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.__new__" and len(args) > 1 and args[1] == _AF_UNIX:
        return
    if event.startswith(_BLOCKED_EVENTS):
        raise PermissionError(f"{event} is blocked: this sandbox has no network access")


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
        isolate(config["network"], config["private_mounts"], config["tmp_bytes"])
        drop_privileges(config.get("uid"), config.get("gid"))
        forbid_new_privileges()
        set_limits(config["rlimits"])
    except OSError as exc:
        print(f"sandbox setup failed: {exc}", file=sys.stderr)
        os._exit(SETUP_FAILED)
    if config["network"] == "audit-hook":
        sys.addaudithook(_audit)
    run_main(config["main"])


if __name__ == "__main__":
    main()
