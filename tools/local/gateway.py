"""A local API Gateway (HTTP API, payload 2.0) in front of the functions running in this process.

Serves exactly the template's routes, runs the route's Lambda REQUEST authorizer first the way API
Gateway does (for every request when the template declares no identity source, else 401 when one is
missing; 403 when refused; its context under ``requestContext.authorizer.lambda``), and serves the
OpenAPI document and Swagger UI.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tools.apigw import http_event
from tools.local import swagger
from tools.local.functions import FunctionHost
from tools.local.keys import STATE_DIR
from tools.local.routes import AuthorizerSpec, LocalRoute, find_route, local_routes
from tools.samtemplate import ACCOUNT, REGION

log = logging.getLogger("tools.local.gateway")
OPENAPI_FILE = swagger.OPENAPI_FILE
LOCAL_PAGES = {("GET", "/openapi.yaml"), ("GET", "/docs"), ("GET", swagger.CLIENTS_PATH), ("POST", swagger.SIGN_PATH)}
API_ID = "local"
LISTEN_BACKLOG = 128  # connections waiting to be accepted, as werkzeug (moto) queues them
STAGE = "$default"


class GatewayError(Exception):
    """An answer API Gateway itself gives, before or instead of the function."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = json.dumps({"message": message})


def _query_parameters(raw: str) -> dict[str, str]:
    """API Gateway joins repeated query parameters with commas."""
    joined: dict[str, str] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def authorizer_event(spec: AuthorizerSpec, request: dict[str, Any]) -> dict[str, Any]:
    """The v2 REQUEST authorizer event: the request without its body."""
    headers, query = request["headers"], request.get("queryStringParameters") or {}
    identity = [headers.get(name.lower()) for name in spec.identity_headers]
    identity += [query.get(name) for name in spec.identity_query]
    if any(not value for value in identity):  # a declared identity source is missing: API Gateway's own 401
        raise GatewayError(401, "Unauthorized")
    http = request["requestContext"]["http"]
    event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}/{http['method']}{http['path']}",
        "routeKey": request["routeKey"],
        "rawPath": request["rawPath"],
        "rawQueryString": request["rawQueryString"],
        "headers": headers,
        "queryStringParameters": request.get("queryStringParameters"),
        "pathParameters": request.get("pathParameters"),
        "requestContext": request["requestContext"],
    }
    if identity:  # without identity sources API Gateway calls the authorizer for every request
        event["identitySource"] = identity
    return event


def authorize(host: FunctionHost, spec: AuthorizerSpec, request: dict[str, Any]) -> dict[str, Any]:
    """Run the authorizer; the context it returns, or GatewayError as API Gateway would answer."""
    try:
        result = host.invoke(spec.function, authorizer_event(spec, request))
    except GatewayError:
        raise
    except Exception as error:
        raise GatewayError(500, "Internal Server Error") from error
    if spec.simple_responses:
        allowed = isinstance(result, dict) and result.get("isAuthorized") is True
    else:
        statements = (result or {}).get("policyDocument", {}).get("Statement", [])
        allowed = bool(statements) and all(s.get("Effect") == "Allow" for s in statements)
    if not allowed:
        raise GatewayError(403, "Forbidden")
    return dict(result.get("context") or {})


def lambda_to_http(result: Any) -> tuple[int, dict[str, str], bytes]:
    """A payload 2.0 Lambda result as status, headers and body (a bare value means 200 JSON)."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return 200, {"content-type": "application/json"}, json.dumps(result).encode()
    headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ", ".join(str(v) for v in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return int(result["statusCode"]), headers, body


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG  # socketserver's 5 resets a burst of concurrent connections

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can take seconds; nothing here needs it.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class Gateway:
    def __init__(
        self, host: FunctionHost, address: str = "127.0.0.1", port: int = 3000, state_dir: Path = STATE_DIR
    ) -> None:
        self.functions = host
        self.state_dir = state_dir  # the local key and the clients it signs for (Swagger UI's helper)
        self.routes = local_routes()
        gateway = self

        class Handler(_RequestHandler):
            owner = gateway

        self.server = _Server((address, port), Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread:
            self._thread.join()

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, host_header: str
    ) -> tuple[int, dict[str, str], bytes]:
        from rewards.http import GATEWAY_SOURCE, error_body

        split = urlsplit(target)
        found = find_route(self.routes, method, split.path)
        if found is None:
            envelope = error_body(GATEWAY_SOURCE, "NOT_FOUND", f"No route for {method} {split.path}")
            return 404, {"content-type": "application/json"}, envelope.encode()
        route, path_parameters = found
        request = self.request_event(
            route, method, split.path, split.query, path_parameters, headers, body, host_header
        )
        try:
            if route.authorizer is not None:
                request["requestContext"]["authorizer"] = {
                    "lambda": authorize(self.functions, route.authorizer, request)
                }
            return lambda_to_http(self.functions.invoke(route.route.function, request))
        except GatewayError as error:
            return error.status, {"content-type": "application/json"}, error.body.encode()
        except Exception:  # the function crashed: API Gateway answers 500 without details
            log.exception("%s failed", route.route.function)
            return 500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}'

    @staticmethod
    def request_event(
        route: LocalRoute,
        method: str,
        path: str,
        raw_query: str,
        path_parameters: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        host_header: str,
    ) -> dict[str, Any]:
        event = http_event(
            method,
            path,
            route_key=route.route.route_key,
            path_parameters=path_parameters or None,
            query=_query_parameters(raw_query) or None,
            body=body if body else None,
            headers={**headers, "x-forwarded-proto": "http"},
            stage=STAGE,
        )
        event["rawQueryString"] = raw_query  # exactly as sent: the request signature covers it
        if "content-type" not in {k.lower() for k in headers}:
            event["headers"].pop("content-type", None)
        context = event["requestContext"]
        context.update(apiId=API_ID, domainName=host_header, domainPrefix=host_header.split(".", 1)[0])
        context["http"]["userAgent"] = event["headers"].get("user-agent", "")
        return event


class _RequestHandler(BaseHTTPRequestHandler):
    owner: Gateway
    protocol_version = "HTTP/1.1"
    server_version = "rewards-local-gateway"

    def log_message(self, format: str, *args: Any) -> None:
        return  # the functions log each request themselves

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if (self.command, path) in LOCAL_PAGES:
            self._reply(*self._local_page(path, body))
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        host_header = self.headers.get("host", "localhost")
        self._reply(*self.owner.handle(self.command, self.path, headers, body, host_header))

    def _local_page(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """What only the local gateway serves: the API document, Swagger UI and its signing helper."""
        as_json = {"content-type": "application/json"}
        if path == "/openapi.yaml":
            return 200, {"content-type": "application/yaml"}, OPENAPI_FILE.read_bytes()
        if path == "/docs":
            return 200, {"content-type": "text/html; charset=utf-8"}, swagger.page().encode()
        if path == swagger.CLIENTS_PATH:
            return 200, as_json, json.dumps(swagger.clients(self.owner.state_dir)).encode()
        try:
            request = json.loads(body or b"{}")
            signed = swagger.sign(self.owner.state_dir, request, self.headers.get("host", ""))
        except (ValueError, AttributeError, swagger.SigningRefused) as error:
            return 400, as_json, json.dumps({"error": str(error) or "a JSON object is expected"}).encode()
        return 200, as_json, json.dumps(signed).encode()

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve
