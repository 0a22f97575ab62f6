"""The local signing key: an RSA-2048 key and a self-signed certificate in ``.local/keys/``.

Made on first start and kept, so the CLI client keeps working across restarts. Before it loads the
configuration, the local stack registers the public key, as consumer key ``<clientId>-key!local``,
for every client that has no key of its own, and lists those clients in ``.local/keys/clients.json``
for the client (``--client ID``) and the Swagger UI's signing helper.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any

from tools.samtemplate import ROOT

STATE_DIR = Path(os.environ.get("REWARDS_STATE_DIR") or ROOT / ".local")  # make run --state-dir
LOCAL_KEY_SUFFIX = "-key!local"
DEMO_CLIENT_ID = "demo-issuer"
PRIVATE_KEY_FILE = "private-key.pem"
CERTIFICATE_FILE = "certificate.pem"
CLIENTS_FILE = "clients.json"


def local_consumer_key(client_id: str) -> str:
    return f"{client_id}{LOCAL_KEY_SUFFIX}"


CONSUMER_KEY = local_consumer_key(DEMO_CLIENT_ID)


def keys_dir(state_dir: Path = STATE_DIR) -> Path:
    return state_dir / "keys"


def ensure_keys(state_dir: Path = STATE_DIR) -> tuple[Path, str]:
    """(private key path, public key PEM), generating the pair the first time."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder = keys_dir(state_dir)
    private_path, certificate_path = folder / PRIVATE_KEY_FILE, folder / CERTIFICATE_FILE
    if not private_path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rewards local signing key")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256())
        )
        private_path.touch(mode=0o600)
        private_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    public_pem = certificate.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_path, public_pem.decode()


def register_local_key(raw_document: dict[str, Any], public_key_pem: str) -> list[str]:
    """Register the local key for every client of the document without a key of its own.

    Changes the document in place; returns those clients' ids, in document order.
    """
    registered = []
    for client in raw_document.get("clients") or []:
        own = [k for k in client.get("consumerKeys") or [] if not str(k.get("consumerKey")).endswith(LOCAL_KEY_SUFFIX)]
        if own:
            continue
        client_id = str(client.get("clientId"))
        client["consumerKeys"] = [
            {"consumerKey": local_consumer_key(client_id), "publicKeyPem": public_key_pem, "active": True}
        ]
        registered.append(client_id)
    return registered


def save_local_clients(state_dir: Path, client_ids: list[str]) -> None:
    """The clients the local key signs for, first the default one (the client's and Swagger UI's)."""
    clients = {client_id: local_consumer_key(client_id) for client_id in client_ids}
    (keys_dir(state_dir) / CLIENTS_FILE).write_text(json.dumps({"clients": clients}, indent=2) + "\n")


def local_clients(state_dir: Path = STATE_DIR) -> dict[str, str]:
    """Client id -> consumer key, for the clients the local key signs for (none before the first start)."""
    path = keys_dir(state_dir) / CLIENTS_FILE
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text()).get("clients", {}))
