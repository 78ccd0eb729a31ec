"""A TCP forwarder between a client and PostgreSQL that a test can freeze: it stops passing
bytes either way but keeps every connection open and accepts new ones, as a server whose
processes were SIGSTOPped does (its kernel still answers TCP; nothing answers PostgreSQL's
protocol). Thawed, it passes on what it holds, as the server would after SIGCONT."""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.support.processes import free_port


class FrozenProxy:
    """127.0.0.1:``port`` -> ``upstream``; :meth:`freeze` and :meth:`thaw` the traffic."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.05)
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> FrozenProxy:
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def freeze(self) -> None:
        """From now on nothing passes, in either direction, on old or new connections."""
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._closed.set()
        self._flowing.set()
        self._acceptor.join(timeout=10)
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            try:
                server = self._connect_upstream()
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()
        self._listener.close()

    def _connect_upstream(self) -> socket.socket:
        host, port = self.upstream
        if host.startswith("/"):  # a Unix socket directory (the embedded server)
            unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            unix.connect(f"{host}/.s.PGSQL.{port}")
            return unix
        return socket.create_connection(self.upstream)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                self._flowing.wait()  # frozen: read nothing, so the bytes wait in the kernel
                data = source.recv(65536)
                if not data:
                    break
                self._flowing.wait()  # frozen meanwhile: hold what was read
                target.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_WR)
