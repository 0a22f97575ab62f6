"""moto in server mode inside this process, with every request handled one at a time.

moto's backends have no locks: concurrent requests can interleave a conditional check and its write.
Serialized (``tools.moto_lock``), each request is atomic, as a DynamoDB request is.
"""

from __future__ import annotations

import errno
import logging
import socket

from tools import moto_lock


class PortInUse(Exception):
    def __init__(self, host: str, port: int, what: str) -> None:
        super().__init__(f"{what} port {port} on {host} is already in use (another local stack running?)")
        self.port = port


def ensure_free(host: str, port: int, what: str) -> None:
    """Fail early with a clear message when a fixed port is taken (port 0 is always free)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: only a listener blocks
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(host, port, what) from error
            raise


class MotoServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 5000) -> None:
        from moto.server import ThreadedMotoServer

        ensure_free(host, port, "moto")
        moto_lock.install()
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.host = host
        self.port = port

    def start(self) -> str:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # it logs every AWS call otherwise
        self._server.start()
        self.host, self.port = self._server.get_host_and_port()
        return self.url

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host == "0.0.0.0" else self.host  # noqa: S104 - listening on all, calling local
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self._server.stop()
