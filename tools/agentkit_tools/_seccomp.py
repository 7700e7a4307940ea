"""The sandbox child's seccomp filter, compiled by libseccomp (the system library) through ctypes.

Standard library only: the child bootstrap loads this file by path into whatever interpreter runs
the sandbox. libseccomp (``libseccomp.so.2``, installed on most Linux distributions) resolves the
syscall names for the running architecture and writes the BPF program, including the architecture
check: a syscall made through another ABI (32-bit ``int 0x80`` on x86-64) kills the process
instead of slipping past the rules. Without libseccomp no filter is loaded and
:func:`available` says so.

Denied syscalls fail with ``EPERM``; everything else is allowed. The rules deny:

* new namespaces and mounts: ``unshare`` and ``setns`` (any flags), ``clone`` with
  ``CLONE_NEWUSER`` or any other namespace flag, ``clone3`` (its flags sit in memory a filter can't
  read, so it fails with ``ENOSYS`` and libc falls back to ``clone``), ``mount`` and the new mount
  API, ``pivot_root``, ``chroot``;
* reaching into other processes and the kernel: ``ptrace``, ``process_vm_readv``/``writev``,
  ``kcmp``, ``keyctl``/``add_key``/``request_key``, ``bpf``, ``perf_event_open``,
  ``userfaultfd``, ``io_uring_*`` (its operations bypass seccomp), module loading, ``kexec``,
  ``reboot``, ``swapon``/``swapoff``, ``acct``, ``quotactl``, ``open_by_handle_at``;
* with ``no_programs``: ``execve`` and ``execveat``;
* with ``unix_sockets_only``: ``socket`` and ``socketpair`` for any family but ``AF_UNIX``.
"""

from __future__ import annotations

import ctypes
import errno
import socket

__all__ = ["DENIED", "available", "install"]

_ALLOW = 0x7FFF0000
_MASKED_EQ = 7
_NE = 1
_NAMESPACE_FLAGS = 0x7E020080
"""CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME (0x80)."""

DENIED = (
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "open_by_handle_at",
    "name_to_handle_at",
)
_PROGRAMS = ("execve", "execveat")


class _ArgCmp(ctypes.Structure):
    """``struct scmp_arg_cmp``."""

    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


def _library() -> ctypes.CDLL | None:
    try:
        lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError:
        return None
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.restype = None
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    ]
    return lib


def available() -> bool:
    """Whether libseccomp can be loaded here."""
    return _library() is not None


def _errno_action(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


def install(*, no_programs: bool, unix_sockets_only: bool) -> None:
    """Load the filter into this thread (call it single-threaded, after ``PR_SET_NO_NEW_PRIVS``)."""
    lib = _library()
    if lib is None:
        raise OSError(errno.ENOSYS, "libseccomp.so.2 is not installed")
    ctx = lib.seccomp_init(_ALLOW)
    if not ctx:
        raise OSError(errno.ENOMEM, "seccomp_init failed")
    try:
        for name in DENIED + (_PROGRAMS if no_programs else ()):
            _rule(lib, ctx, name, errno.EPERM)
        for flag in (bit for bit in (1 << i for i in range(32)) if _NAMESPACE_FLAGS & bit):
            _rule(lib, ctx, "clone", errno.EPERM, _ArgCmp(0, _MASKED_EQ, flag, flag))  # (flags & bit) == bit
        _rule(lib, ctx, "clone3", errno.ENOSYS)
        if unix_sockets_only:
            for name in ("socket", "socketpair"):
                _rule(lib, ctx, name, errno.EPERM, _ArgCmp(0, _NE, int(socket.AF_UNIX), 0))
        _check(lib.seccomp_load(ctx), "seccomp_load")
    finally:
        lib.seccomp_release(ctx)


def _rule(lib: ctypes.CDLL, ctx: int, name: str, code: int, cmp: _ArgCmp | None = None) -> None:
    """Add ``name -> errno code`` (when ``cmp`` holds); a syscall this architecture lacks is skipped."""
    number = lib.seccomp_syscall_resolve_name(name.encode())
    if number < 0:
        return
    args = (1, ctypes.byref(cmp)) if cmp is not None else (0, None)
    _check(lib.seccomp_rule_add_array(ctx, _errno_action(code), number, *args), f"seccomp rule for {name}")


def _check(result: int, what: str) -> None:
    if result < 0:
        raise OSError(-result, f"{what}: {errno.errorcode.get(-result, str(-result))}")
