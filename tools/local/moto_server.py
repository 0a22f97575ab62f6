"""moto in server mode, in a process of its own, with every request handled one at a time.

moto's backends have no locks: concurrent requests can interleave a conditional check and its write.
Serialized (``tools.moto_lock``), each request is atomic, as a DynamoDB request is. In its own
process, moto's CPU does not compete for the GIL with the gateway, the pollers and the functions.

``MotoServer`` starts ``python -m tools.local.moto_server`` and stops it. The child serves until its
stdin closes: the parent closes it to stop it, and a parent that dies closes it too (the child also
exits when its parent process goes away). It ignores Ctrl-C, which the terminal sends to the whole
process group: the parent stops it once the rest of the stack has stopped.
"""

from __future__ import annotations

import argparse
import errno
import io
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from contextlib import nullcontext
from typing import Any

from tools import moto_idempotency, moto_lock, moto_projection
from tools.samtemplate import ROOT

READY = "moto-ready"
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 5


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
    """The moto process, seen from the stack: ``start()`` returns once it listens."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5000, item_level_transactions: bool = True) -> None:
        ensure_free(host, port, "moto")
        self.host = host
        self.port = port
        self.item_level_transactions = item_level_transactions
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        command = [sys.executable, "-m", "tools.local.moto_server", "--host", self.host, "--port", str(self.port)]
        if self.item_level_transactions:
            command.append("--item-level-transactions")
        self._process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # noqa: S603
        try:
            self.port = self._wait_until_ready(self._process)
        except BaseException:
            self.stop()
            raise
        return self.url

    @staticmethod
    def _wait_until_ready(process: subprocess.Popen[bytes]) -> int:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_SECONDS)
        line = process.stdout.readline().decode().split() if ready else []
        if len(line) != 2 or line[0] != READY:
            raise RuntimeError(f"the moto process did not start (exit code {process.poll()}; its errors are above)")
        return int(line[1])

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host == "0.0.0.0" else self.host  # noqa: S104 - listening on all, calling local
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


# ------------------------------------------------------------------------------ the moto process
def _keep_alive_handler() -> type:
    """moto's request handler, with HTTP/1.1 keep-alive.

    werkzeug's development server closes the connection after every response, so each AWS call paid
    a TCP connect and a new server thread. This handler reads the whole request body before the
    application runs and answers with a Content-Length, so the connection carries the next request,
    as it does with AWS. A chunked request body falls back to werkzeug's one-request connection."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class KeepAliveRequestHandler(MotoRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

        def run_wsgi(self) -> None:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                self.close_connection = True
                super().run_wsgi()
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            environ = self.make_environ()
            environ["wsgi.input"] = io.BytesIO(body)
            answer: dict[str, Any] = {}
            chunks: list[bytes] = []

            def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                answer.update(status=status, headers=headers)
                return chunks.append

            result = self.server.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                getattr(result, "close", lambda: None)()
            payload = b"".join(chunks)
            code, _, reason = answer["status"].partition(" ")
            self.send_response(int(code), reason)
            for name, value in answer["headers"]:
                if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

    return KeepAliveRequestHandler


def _cache_module_list() -> None:
    """moto lists its package directory (``os.listdir`` + ``isdir``) twice per request to route it;
    the list never changes while it runs."""
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    setattr(backends, "list_of_moto_modules", lambda: modules)  # noqa: B010


def _retention_check_without_queue_scan() -> None:
    """moto checks each received message against the queue's retention period by computing every
    queue attribute, message counts included: a scan of the whole queue per message received. The
    same check, reading the one attribute it needs."""
    from moto.core.utils import unix_time
    from moto.sqs.models import Message, SQSBackend

    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
        return bool(retention_period + message.sent_timestamp / 1000 > unix_time())  # type: ignore[operator]

    setattr(SQSBackend, "is_message_valid_based_on_retention_period", is_message_valid_based_on_retention_period)  # noqa: B010


# DynamoDB item operations whose results moto builds in wire form already (``DynamoResult`` turns
# items into AttributeValue maps of strings): JSON-encoding them gives the body moto's generic
# serializer produces, at a fraction of its cost (it walks the botocore output shape for every
# attribute: 6 ms of a 10-item BatchGetItem).
PLAIN_JSON_OPERATIONS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "TransactWriteItems"}
)


def _dynamodb_items_as_plain_json(check: bool = False) -> None:
    """Answer the item operations with ``json.dumps`` of moto's result. ``check``: also run moto's
    serializer, compare the decoded bodies and headers, and fail the request (500
    ``PlainJsonMismatch``, also printed) on any difference."""
    import json

    from moto.core.responses import ActionContext, ActionResult
    from moto.dynamodb.responses import DynamoResult

    original = ActionResult.execute_result

    def execute_result(self: ActionResult, context: ActionContext) -> Any:
        if (
            type(self) not in (ActionResult, DynamoResult)
            or context.service_model.service_name != "dynamodb"
            or context.operation_model.name not in PLAIN_JSON_OPERATIONS
            or not isinstance(self.result, dict)
        ):
            return original(self, context)
        try:
            body = json.dumps(self.result, separators=(",", ":"))
        except TypeError:  # a value JSON cannot carry as is (binary attributes): moto's serializer
            return original(self, context)
        fast = 200, {"Content-Type": "application/x-amz-json-1.0"}, body
        if check:
            slow = original(self, context)
            if (slow[0], slow[1], json.loads(slow[2])) != (fast[0], fast[1], json.loads(fast[2])):
                message = f"plain JSON differs for {context.operation_model.name}: {slow!r} != {fast!r}"
                print(message, file=sys.stderr)
                return 500, dict(fast[1]), json.dumps({"__type": "PlainJsonMismatch", "message": message})
        return fast

    setattr(ActionResult, "execute_result", execute_result)  # noqa: B010


def _exit_with_parent(server_stop: threading.Event) -> None:
    """Return when stdin reaches its end (the parent closed it, or died) or the parent is gone."""
    parent = os.getppid()

    def orphaned() -> None:
        while not server_stop.wait(1):
            if os.getppid() != parent:
                server_stop.set()

    def end_of_input() -> None:
        sys.stdin.buffer.read()
        server_stop.set()

    threading.Thread(target=orphaned, name="parent-watch", daemon=True).start()
    threading.Thread(target=end_of_input, name="stdin", daemon=True).start()
    server_stop.wait()


def serve(host: str, port: int, item_level_transactions: bool) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from tools.local.motoview import serving_views

    moto_lock.install()
    moto_idempotency.install()  # ClientRequestToken, as DynamoDB honours it
    moto_projection.install()  # an index entry in one conversion of its item
    _cache_module_list()
    _retention_check_without_queue_scan()
    if os.environ.get("LOCAL_MOTO_SERIALIZER") != "moto":
        _dynamodb_items_as_plain_json(check=os.environ.get("LOCAL_MOTO_SERIALIZER") == "check")
    copies = moto_lock.item_level_transactions() if item_level_transactions else nullcontext()
    with copies:
        app = serving_views(DomainDispatcherApplication(create_backend_app))
        server = make_server(host, port, app, threaded=True, request_handler=_keep_alive_handler())
        threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
        os.write(1, f"{READY} {server.server_address[1]}\n".encode())
        os.dup2(2, 1)  # nobody reads stdout from now on: anything printed goes to stderr
        stop = threading.Event()
        _exit_with_parent(stop)
        server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.local.moto_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument(
        "--item-level-transactions",
        action="store_true",
        help="roll back a cancelled transaction by the items it touched (tools.moto_lock), not a table copy",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops this process, after the rest
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # it logs every AWS call otherwise
    try:
        serve(args.host, args.port, args.item_level_transactions)
    except OSError as error:
        print(f"moto process: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
