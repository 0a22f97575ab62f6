"""The verifier rebuilds exactly the base string Mastercard's signer signs (mastercard-oauth1-signer)."""

from __future__ import annotations

import base64
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from oauth1.oauth import OAuth

from rewards.security import oauth1
from rewards.security.digest import body_hash

CONSUMER_KEY = "Xk9w-abc!4f2a9d0c1e"  # Mastercard keys carry a "!"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def verify(public: rsa.RSAPublicKey, header: str, method: str, url: str) -> bool:
    parsed = oauth1.parse_header(header)
    base = oauth1.base_string(method, url, parsed.signed_params())
    return oauth1.signature_valid(public, base, parsed.signature, parsed.signature_method)


URLS = [
    "https://api.example.com/redeemers/RANACALICE0001",
    "https://API.Example.com:443/authorizations?user_id=RANAC1&note=a%20b&plus=c+d&empty=",
    "http://127.0.0.1:3000/authorizations?pwr_filter_categories=R%2CE&from_date=2026-11-01",
    "http://localhost:80/redeemers/search",
    "https://api.example.com:8443/authorizations?b=2&a=1&a=0",
    "https://api.example.com",
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("method", ["GET", "post"])
def test_base_string_is_the_signers(url, method):
    params = {
        "oauth_consumer_key": CONSUMER_KEY,
        "oauth_nonce": "n0nce",
        "oauth_timestamp": "1760000000",
        "oauth_signature_method": "RSA-SHA256",
        "oauth_version": "1.0",
        "oauth_body_hash": body_hash(b'{"a": 1}'),
    }
    assert oauth1.base_string(method, url, params) == OAuth.get_base_string(url, method, params)


@pytest.mark.parametrize("url", URLS)
def test_signer_headers_verify(key, url):
    header = OAuth.get_authorization_header(url, "GET", None, CONSUMER_KEY, key)
    assert verify(key.public_key(), header, "GET", url)


def test_post_body_hash_is_sha256_of_exact_bytes_and_get_hashes_empty_string(key):
    payload = '{"accountId": "RANACALICE0001", "amount": "12.30", "name": "Zoë"}'
    header = oauth1.parse_header(OAuth.get_authorization_header("https://h/a", "POST", payload, CONSUMER_KEY, key))
    assert header.body_hash == body_hash(payload.encode())
    assert header.body_hash != body_hash(payload.replace(", ", ",").encode())
    get = oauth1.parse_header(OAuth.get_authorization_header("https://h/a", "GET", None, CONSUMER_KEY, key))
    assert get.body_hash == body_hash(b"") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("PUT", "https://api.example.com/authorizations?user_id=RANAC1&note=a%20b"),  # method
        ("GET", "https://api.example.com/authorizations?user_id=RANAC2&note=a%20b"),  # query value
        ("GET", "https://api.example.com/authorizations?user_id=RANAC1&note=a%20c"),  # encoded value
        ("GET", "https://api.example.com/authorizations?user_id=RANAC1"),  # dropped parameter
        ("GET", "https://api.example.com/authorization?user_id=RANAC1&note=a%20b"),  # path
        ("GET", "https://evil.example.com/authorizations?user_id=RANAC1&note=a%20b"),  # host
        ("GET", "http://api.example.com/authorizations?user_id=RANAC1&note=a%20b"),  # scheme
    ],
)
def test_any_change_to_the_signed_request_breaks_the_signature(key, method, url):
    signed_url = "https://api.example.com/authorizations?user_id=RANAC1&note=a%20b"
    header = OAuth.get_authorization_header(signed_url, "GET", None, CONSUMER_KEY, key)
    assert verify(key.public_key(), header, "GET", signed_url)
    assert not verify(key.public_key(), header, method, url)


def test_another_key_and_altered_oauth_parameters_fail(key, other_key):
    url = "https://api.example.com/authorizations"
    header = OAuth.get_authorization_header(url, "POST", "{}", CONSUMER_KEY, key)
    assert not verify(other_key.public_key(), header, "POST", url)
    changed = header.replace('oauth_timestamp="', 'oauth_timestamp="1')
    assert not verify(key.public_key(), changed, "POST", url)


def test_rsa_pss_signature_verifies_only_as_pss(key):
    url = "https://api.example.com/redeemers/search"
    params = {
        "oauth_consumer_key": CONSUMER_KEY,
        "oauth_nonce": "abc",
        "oauth_timestamp": "1760000000",
        "oauth_signature_method": oauth1.RSA_PSS_SHA256,
        "oauth_version": "1.0",
        "oauth_body_hash": body_hash(b"{}"),
    }
    base = oauth1.base_string("POST", url, params)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    signature = base64.b64encode(key.sign(base.encode(), pss, hashes.SHA256())).decode()
    assert oauth1.signature_valid(key.public_key(), base, signature, oauth1.RSA_PSS_SHA256)
    assert not oauth1.signature_valid(key.public_key(), base, signature, oauth1.RSA_SHA256)
    assert not oauth1.signature_valid(key.public_key(), base, "not base64!", oauth1.RSA_PSS_SHA256)


def test_parse_header_decodes_the_percent_encoded_signature(key):
    header = OAuth.get_authorization_header("https://h/a", "GET", None, CONSUMER_KEY, key)
    raw_signature = header.split('oauth_signature="')[1].rstrip('"')
    parsed = oauth1.parse_header(header)
    assert "%" in raw_signature and "%" not in parsed.signature
    assert parsed.consumer_key == CONSUMER_KEY
    assert "oauth_signature" not in parsed.signed_params()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "OAuth ",
        'OAuth oauth_consumer_key="k",oauth_nonce="n"',  # required parameters missing
        'OAuth oauth_consumer_key="k",oauth_consumer_key="j",oauth_nonce="n",oauth_timestamp="1",'
        'oauth_signature_method="RSA-SHA256",oauth_signature="s",oauth_body_hash="h"',
        'OAuth oauth_consumer_key="k",oauth_nonce="n",oauth_timestamp="1",oauth_version="2.0",'
        'oauth_signature_method="RSA-SHA256",oauth_signature="s",oauth_body_hash="h"',
        'OAuth oauth_consumer_key=k,oauth_nonce="n"',  # unquoted value
        "OAuth " + "x" * 5000,
    ],
)
def test_malformed_headers_are_refused(header):
    with pytest.raises(oauth1.MalformedHeader):
        oauth1.parse_header(header)


def test_public_key_from_certificate_or_key_pem(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "demo-issuer")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    expected = key.public_key().public_numbers()
    assert oauth1.load_public_key(cert_pem).public_numbers() == expected
    assert oauth1.load_public_key(key_pem).public_numbers() == expected


def test_non_rsa_and_garbage_keys_are_rejected():
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(ValueError):
        oauth1.load_public_key(ec_pem)
    with pytest.raises(ValueError):
        oauth1.load_public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----")


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("body", [b"", b'{"points": "7000", "reference": "AUTH-1"}'])
def test_the_engines_own_signer_verifies_and_signs_the_base_string_mastercard_builds(key, other_key, url, body):
    header = oauth1.sign("POST", url, body, CONSUMER_KEY, key, nonce="n0nce+/=", timestamp=1760000000)
    parsed = oauth1.parse_header(header)
    assert parsed.body_hash == body_hash(body) and parsed.nonce == "n0nce+/="
    assert verify(key.public_key(), header, "POST", url)
    assert OAuth.get_base_string(url, "POST", parsed.signed_params()) == oauth1.base_string(
        "POST", url, parsed.signed_params()
    )
    assert not verify(other_key.public_key(), header, "POST", url)
    assert not verify(key.public_key(), header, "GET", url)
