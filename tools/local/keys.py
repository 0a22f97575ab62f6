"""The demo client's signing key: an RSA-2048 key and a self-signed certificate in ``.local/keys/``.

Made on first start and kept, so the CLI client keeps working across restarts. The local stack
registers the public key for the demo client before it loads the configuration.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from tools.samtemplate import ROOT

STATE_DIR = ROOT / ".local"
CONSUMER_KEY = "demo-issuer-key!local"
DEMO_CLIENT_ID = "demo-issuer"
PRIVATE_KEY_FILE = "private-key.pem"
CERTIFICATE_FILE = "certificate.pem"


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
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CONSUMER_KEY)])
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


def register_demo_key(raw_document: dict[str, Any], public_key_pem: str) -> dict[str, Any]:
    """The configuration document with the local key registered for the demo client."""
    clients = raw_document.get("clients") or []
    for client in clients:
        if client.get("clientId") == DEMO_CLIENT_ID:
            others = [k for k in client.get("consumerKeys", []) if k.get("consumerKey") != CONSUMER_KEY]
            client["consumerKeys"] = [
                *others,
                {"consumerKey": CONSUMER_KEY, "publicKeyPem": public_key_pem, "active": True},
            ]
            return raw_document
    raise KeyError(f"the configuration has no client {DEMO_CLIENT_ID}")
