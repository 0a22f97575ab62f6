"""Mastercard OAuth 1.0a signatures, checked the way Mastercard's client signers build them.

The signature base string is ``METHOD&pe(url)&pe(params)`` where ``params`` is the sorted list of
``key=value`` pairs from the query string and the oauth_* header parameters (except the signature).
Unlike RFC 5849 the values are not percent-encoded a second time, and query pairs are encoded only
when the query string the client signed was itself encoded. Any difference from the signer's bytes
makes every signature fail, so these rules follow the signer exactly (see docs/security.md).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

RSA_SHA256 = "RSA-SHA256"
RSA_PSS_SHA256 = "RSA-PSS-SHA256"
SIGNATURE_METHODS = (RSA_SHA256, RSA_PSS_SHA256)
REQUIRED = (
    "oauth_consumer_key",
    "oauth_nonce",
    "oauth_timestamp",
    "oauth_signature_method",
    "oauth_signature",
    "oauth_body_hash",
)
MAX_HEADER_LENGTH = 4096

_PARAM = re.compile(r'\s*([A-Za-z_]+)\s*=\s*"([^"]*)"\s*(?:,|$)')
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


class MalformedHeader(ValueError):
    """The Authorization header is not an OAuth 1.0a header with every required parameter."""


@dataclass(frozen=True)
class OAuthHeader:
    params: dict[str, str]  # decoded values, oauth_signature included

    @property
    def consumer_key(self) -> str:
        return self.params["oauth_consumer_key"]

    @property
    def nonce(self) -> str:
        return self.params["oauth_nonce"]

    @property
    def timestamp(self) -> str:
        return self.params["oauth_timestamp"]

    @property
    def signature_method(self) -> str:
        return self.params["oauth_signature_method"]

    @property
    def signature(self) -> str:
        return self.params["oauth_signature"]

    @property
    def body_hash(self) -> str:
        return self.params["oauth_body_hash"]

    def signed_params(self) -> dict[str, str]:
        """The oauth_* parameters that enter the base string (the signature and realm do not)."""
        return {k: v for k, v in self.params.items() if k.startswith("oauth_") and k != "oauth_signature"}


def parse_header(header: str) -> OAuthHeader:
    """``OAuth k="v",k="v"`` -> parameters; values are percent-decoded (the signer encodes the signature)."""
    if len(header) > MAX_HEADER_LENGTH:
        raise MalformedHeader("the Authorization header is too long")
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "oauth" or not rest.strip():
        raise MalformedHeader("the Authorization header is not an OAuth header")
    params: dict[str, str] = {}
    position = 0
    rest = rest.strip()
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if not match:
            raise MalformedHeader("the OAuth header is malformed")
        name, value = match.group(1), unquote(match.group(2))
        if name in params:
            raise MalformedHeader(f"{name} appears twice")
        params[name] = value
        position = match.end()
    missing = [name for name in REQUIRED if not params.get(name)]
    if missing:
        raise MalformedHeader(f"the OAuth header lacks {', '.join(missing)}")
    if params.get("oauth_version", "1.0") != "1.0":
        raise MalformedHeader("oauth_version must be 1.0")
    return OAuthHeader(params)


def percent_encode(text: str) -> str:
    """RFC 3986 encoding: everything but unreserved characters."""
    return quote(text, safe="~")


def normalize_url(url: str) -> str:
    """Scheme, lowercase host without the default port, and path; no query."""
    parts = urlsplit(url)
    host = parts.netloc.lower().removesuffix(_DEFAULT_PORTS.get(parts.scheme, "\0"))
    return f"{parts.scheme}://{host}{parts.path or '/'}"


def normalize_params(url: str, oauth_params: dict[str, str]) -> str:
    query = urlsplit(url).query
    encoded = query != unquote(query)
    pairs = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if encoded:
            pairs.append(f"{percent_encode(name)}={percent_encode(value)}")
        else:
            pairs.append(f"{name.replace(' ', '+')}={value.replace(' ', '+')}")
    pairs.extend(f"{name}={value}" for name, value in oauth_params.items())
    return "&".join(sorted(pairs))


def base_string(method: str, url: str, oauth_params: dict[str, str]) -> str:
    return "&".join(
        (method.upper(), percent_encode(normalize_url(url)), percent_encode(normalize_params(url, oauth_params)))
    )


@lru_cache(maxsize=64)
def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """An RSA public key from a PEM certificate or a PEM public key."""
    data = pem.strip().encode()
    if b"CERTIFICATE" in data.split(b"\n", 1)[0]:
        from cryptography import x509  # only for a key registered as a certificate (x509 is a third of the import)

        key = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)  # type: ignore[assignment]
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the registered key is not an RSA key")
    return key


def signature_valid(public_key: rsa.RSAPublicKey, base: str, signature: str, method: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    if method == RSA_SHA256:
        scheme: padding.AsymmetricPadding = padding.PKCS1v15()
    elif method == RSA_PSS_SHA256:
        scheme = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    else:
        return False
    try:
        public_key.verify(raw, base.encode(), scheme, hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def sign(
    method: str,
    url: str,
    body: bytes,
    consumer_key: str,
    private_key: rsa.RSAPrivateKey,
    nonce: str,
    timestamp: int,
) -> str:
    """The Authorization header for this exact request, RSA-SHA256 with oauth_body_hash, built as
    Mastercard's signer builds it (the engine's outbound calls: docs/point-bank.md)."""
    from rewards.security.digest import body_hash

    params = {
        "oauth_body_hash": body_hash(body),
        "oauth_consumer_key": consumer_key,
        "oauth_nonce": nonce,
        "oauth_signature_method": RSA_SHA256,
        "oauth_timestamp": str(timestamp),
        "oauth_version": "1.0",
    }
    base = base_string(method, url, params)
    signature = base64.b64encode(private_key.sign(base.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    fields = {**params, "oauth_signature": signature}
    return "OAuth " + ",".join(f'{name}="{percent_encode(value)}"' for name, value in fields.items())


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the signing key is not an RSA key")
    return key
