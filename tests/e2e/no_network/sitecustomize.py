"""Loaded at start-up by any Python process whose PYTHONPATH holds this folder (and by its children).

Every attempt to reach another machine (a TCP/UDP connect or a DNS lookup of a name other than
this machine's) is refused and written, one line each, to the file named by ``NO_NETWORK_LOG``;
loopback and Unix sockets work as usual. Tests then read the file: empty means the process asked
for no network.
"""

import os
import socket

_LOG = os.environ.get("NO_NETWORK_LOG")
_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::", "", None}


def _is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    return host in _LOCAL_NAMES or (isinstance(host, str) and (host.startswith("127.") or host.endswith(".localhost")))


def _refuse(what: str) -> None:
    with open(_LOG, "a") as log:
        log.write(f"{os.getpid()} {what}\n")
    raise OSError(f"network access refused by the test: {what}")


if _LOG:
    _connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse(f"connect {address!r}")
        return _connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse(f"connect_ex {address!r}")
        return _connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            _refuse(f"getaddrinfo {host!r}")
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
