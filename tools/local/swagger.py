"""Swagger UI for the local gateway, whose "Try it out" sends correctly signed requests.

The page asks the gateway's signing helper (``POST /_local/sign``, in this module only: never in
template.yaml, a function or the layer) for the OAuth 1.0a header of each request, exactly as Swagger
is about to send it, signed with the local key as the client chosen on the page. The helper answers
only for the clients the local key signs for (``GET /_local/clients``).
"""

from __future__ import annotations

import datetime
import html
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tools.local.keys import PRIVATE_KEY_FILE, keys_dir, local_clients
from tools.local.signing import authorization_header, load_private_key
from tools.samtemplate import ROOT

OPENAPI_FILE = ROOT / "docs" / "openapi.yaml"
SIGN_PATH = "/_local/sign"
CLIENTS_PATH = "/_local/clients"

_SCRIPT = """
const clientSelect = document.getElementById("signing-client");
fetch("CLIENTS_PATH").then((r) => r.json()).then(({ clients }) => {
  for (const id of clients) clientSelect.add(new Option(id, id));
});
async function signed(request) {
  if (request.loadSpec) return request;
  const body = typeof request.body === "string" ? request.body : null;
  const answer = await fetch("SIGN_PATH", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ method: request.method, url: request.url, body, client: clientSelect.value }),
  });
  const reply = await answer.json();
  if (!answer.ok) throw new Error(reply.error);
  request.headers["Authorization"] = reply.authorization;
  return request;
}
const spec = SPEC;
spec.servers = [{ url: window.location.origin, description: "this local gateway" }];
window.ui = SwaggerUIBundle({
  spec,
  dom_id: "#swagger-ui",
  deepLinking: true,
  tryItOutEnabled: true,
  requestInterceptor: signed,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title><style>{css}</style>
<style>#signing {{ font: 14px sans-serif; padding: 10px 20px; border-bottom: 1px solid #ddd; }}</style>
</head>
<body>
<div id="signing">
  <label>Sign "Try it out" requests as <select id="signing-client"></select></label>
  (the local key; this page and its signing helper exist only in the local gateway)
</div>
<div id="swagger-ui"></div>
<script>{bundle}</script>
<script>{script}</script>
</body>
</html>
"""


@cache
def _assets() -> tuple[str, str]:
    from aws_lambda_powertools.event_handler.openapi import swagger_ui

    folder = Path(swagger_ui.__file__).parent
    return (folder / "swagger-ui-bundle.min.js").read_text(), (folder / "swagger-ui.min.css").read_text()


def spec_for_today(today: datetime.date | None = None) -> dict[str, Any]:
    """docs/openapi.yaml, its date examples set to today (the day the walkthroughs' records carry)."""
    spec: dict[str, Any] = yaml.safe_load(OPENAPI_FILE.read_text())
    day = (today or datetime.date.today()).isoformat()
    for operations in spec["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("schema", {}).get("format") == "date":
                    parameter["example"] = day
    return spec


def page() -> str:
    """The Swagger UI page, assets inlined (it works offline)."""
    bundle, css = _assets()
    spec = json.dumps(spec_for_today()).replace("</", "<\\/")
    script = _SCRIPT.replace("CLIENTS_PATH", CLIENTS_PATH).replace("SIGN_PATH", SIGN_PATH).replace("SPEC", spec)
    title = html.escape(str(yaml.safe_load(OPENAPI_FILE.read_text())["info"]["title"]))
    return _PAGE.format(title=title, css=css, bundle=bundle, script=script)


class SigningRefused(Exception):
    pass


def clients(state_dir: Path) -> dict[str, Any]:
    return {"clients": list(local_clients(state_dir))}


def sign(state_dir: Path, request: dict[str, Any], host: str) -> dict[str, str]:
    """The Authorization header for exactly this method, URL and body, as the chosen local client.

    ``host`` is the Host the page was loaded from: the helper signs requests to this gateway only.
    """
    known = local_clients(state_dir)
    client = request.get("client") or next(iter(known), None)
    if client not in known:
        raise SigningRefused(f"the local key does not sign as {client!r}")
    url, method, body = request.get("url"), request.get("method"), request.get("body")
    if not isinstance(url, str) or urlsplit(url).netloc != host:
        raise SigningRefused(f"the helper signs requests to this gateway ({host}) only")
    if not isinstance(method, str) or (body is not None and not isinstance(body, str)):
        raise SigningRefused("method is text and body is text or null")
    key = load_private_key(keys_dir(state_dir) / PRIVATE_KEY_FILE)
    return {"authorization": authorization_header(method, url, body, known[client], key)}
