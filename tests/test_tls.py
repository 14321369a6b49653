"""TLS (P21): the server speaks HTTPS with a given certificate, sends HSTS and Secure
cookies, and warns when it would serve plain HTTP beyond loopback."""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from interpreta.app import create_app
from interpreta.cli.serve import transport_warning
from interpreta.platform import Platform
from tests.conftest import PASSWORD
from tests.live_server import serving


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private


def test_p21_https_with_hsts_and_secure_httponly_cookies(
    platform: Platform, tmp_path: Path
) -> None:
    cert, key = _self_signed(tmp_path)
    app = create_app(platform)
    with serving(app, ssl_certfile=str(cert), ssl_keyfile=str(key)) as base_url:
        assert base_url.startswith("https://")
        with httpx.Client(
            base_url=base_url, verify=ssl.create_default_context(cafile=str(cert))
        ) as client:
            response = client.post(
                "/api/auth/signup",
                json={
                    "email": "t@example.org",
                    "name": "T",
                    "password": PASSWORD,
                    "organisation_name": "T Co",
                },
            )
        assert response.status_code == 201
        assert response.headers["strict-transport-security"].startswith("max-age=")
        cookie = response.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_p21_plain_http_gets_no_hsts(platform: Platform) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(platform), base_url="http://testserver") as plain:
        assert "strict-transport-security" not in plain.get("/").headers


def test_p21_warning_when_serving_plain_http_beyond_loopback() -> None:
    assert transport_warning("127.0.0.1", tls=False) is None
    assert transport_warning("localhost", tls=False) is None
    assert transport_warning("0.0.0.0", tls=True) is None
    warning = transport_warning("0.0.0.0", tls=False)
    assert warning is not None and "P21" in warning
