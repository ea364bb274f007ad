"""Keep the monitor off the network: the kernel refuses it internet sockets.

MediaPipe's native library tries to send usage statistics to Google
(play.googleapis.com) when a model is loaded; there is no documented switch to
turn that off. The monitor promises that nothing leaves the machine, so on
Linux (x86-64 and arm64) every command but `models download` installs a
seccomp filter, for all of the process's threads and the programs it starts,
that makes `socket(AF_INET|AF_INET6, ...)` fail with EACCES. Local sockets
(AF_UNIX: the sound server, D-Bus) still work. Elsewhere this does nothing and
says so in the log.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import platform
import socket
import struct
import sys

log = logging.getLogger(__name__)

# (audit arch, socket syscall, seccomp syscall) per machine.
_ARCHES = {
    "x86_64": (0xC000003E, 41, 317),
    "aarch64": (0xC00000B7, 198, 277),
}
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
# BPF opcodes: load a word of seccomp_data, jump if equal, return.
_LD_ABS, _JEQ, _RET = 0x20, 0x15, 0x06
# Offsets in struct seccomp_data: nr, arch, args[0] (low 32 bits, little-endian).
_NR, _ARCH, _ARG0 = 0, 4, 16

_installed = False


def _program(arch: int, socket_nr: int) -> bytes:
    allow, deny = 7, 8
    code = [
        (_LD_ABS, 0, 0, _ARCH),
        (_JEQ, 0, allow - 2, arch),
        (_LD_ABS, 0, 0, _NR),
        (_JEQ, 0, allow - 4, socket_nr),
        (_LD_ABS, 0, 0, _ARG0),
        (_JEQ, deny - 6, 0, socket.AF_INET),
        (_JEQ, deny - 7, allow - 7, socket.AF_INET6),
        (_RET, 0, 0, _RET_ALLOW),
        (_RET, 0, 0, _RET_ERRNO | errno.EACCES),
    ]
    return b"".join(struct.pack("<HBBI", *op) for op in code)


def forbid_network() -> bool:
    """Refuse internet sockets to this process from now on; whether it could."""
    global _installed
    if _installed:
        return True
    machine = platform.machine()
    if not sys.platform.startswith("linux") or machine not in _ARCHES:
        log.info("network guard: not available on %s %s", sys.platform, machine)
        return False
    arch, socket_nr, seccomp_nr = _ARCHES[machine]
    libc = ctypes.CDLL(None, use_errno=True)  # the C library the interpreter runs on
    code = _program(arch, socket_nr)
    buffer = ctypes.create_string_buffer(code, len(code))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(code) // 8, ctypes.addressof(buffer))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or libc.syscall(
        seccomp_nr, _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(prog)
    ) != 0:
        log.warning("network guard: the kernel refused it (%s)", errno.errorcode.get(
            ctypes.get_errno(), ctypes.get_errno()))
        return False
    _installed = True
    log.debug("network guard: internet sockets are refused to this process")
    return True
