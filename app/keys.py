"""The provider's RS256 keys, as both sides of the contract hold them.

- :class:`ProviderKey`: an RSA private key as a provider holds it, and its compact RS256
  signature on a request (``wallet simulate``, ``wallet token``, the tests and benchmarks sign
  with it);
- a public key's two key ids: its file name without ``.pem`` and its RFC 7638 JWK thumbprint
  (the service's verifier, :mod:`app.service.tokens`, knows a key by both);
- the development key pair that ``wallet serve`` makes in ``WALLET_DATA_DIR`` when no
  ``WALLET_JWT_PUBLIC_KEYS`` are configured.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.config import ConfigError

DEV_PUBLIC_KEY = "dev-jwt.pem"
DEV_PRIVATE_KEY = "dev-jwt.private.pem"


# Signing ----------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class ProviderKey:
    """An RSA private key as a provider holds it, and the ``kid`` its tokens name."""

    private: rsa.RSAPrivateKey
    kid: str | None = None

    @classmethod
    def generate(cls, kid: str | None = None) -> ProviderKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid)

    @classmethod
    def from_file(cls, path: Path, kid: str | None = None) -> ProviderKey:
        """Read a PEM private key; ConfigError naming the file if it is not an RSA one."""
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as error:
            raise ConfigError(f"private key {path}: {error}") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigError(f"private key {path}: not an RSA key")
        return cls(key, kid)

    @property
    def private_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (for ``wallet simulate --key``)."""
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        """A compact RS256 JWS of ``claims``."""
        header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
        if self.kid:
            header["kid"] = self.kid
        header.update(headers or {})
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = self.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def token(self, request: object, *, lifetime: int = 60, **claims: Any) -> str:
        """A token carrying ``request`` in its ``payload`` claim, issued now, valid
        ``lifetime`` seconds; ``claims`` add or replace claims (``exp``, ``iat``, ...)."""
        now = int(time.time())
        return self.sign({"iat": now, "exp": now + lifetime, "payload": request, **claims})


# Key ids -----------------------------------------------------------------------------------


def kid_of(path: Path) -> str:
    return path.name.removesuffix(".pem") if path.name.endswith(".pem") else path.stem


def jwk_thumbprint(key: rsa.RSAPublicKey) -> str:
    """The RFC 7638 SHA-256 thumbprint of an RSA public key, base64url without padding."""
    numbers = key.public_numbers()

    def b64(value: int) -> str:
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    members = json.dumps(
        {"e": b64(numbers.e), "kty": "RSA", "n": b64(numbers.n)}, separators=(",", ":")
    )
    digest = hashlib.sha256(members.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# The development key pair ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DevKeyPair:
    private_key: Path
    public_key: Path
    created: bool

    @property
    def kid(self) -> str:
        return kid_of(self.public_key)


def ensure_dev_key_pair(data_dir: Path) -> DevKeyPair:
    """The development key pair in ``data_dir``, made on first use and reused afterwards."""
    private_path = data_dir / DEV_PRIVATE_KEY
    public_path = data_dir / DEV_PUBLIC_KEY
    if private_path.exists() and public_path.exists():
        return DevKeyPair(private_path, public_path, created=False)
    data_dir.mkdir(parents=True, exist_ok=True)
    key = ProviderKey.generate()
    private_pem, public_pem = key.private_pem, key.public_pem
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(private_pem)
    public_path.write_bytes(public_pem)
    return DevKeyPair(private_path, public_path, created=True)


def sign_request(
    request: object, private_key_path: Path, *, kid: str | None, lifetime: int = 300
) -> str:
    """A provider-style token carrying ``request`` in its ``payload`` claim (for development)."""
    return ProviderKey.from_file(private_key_path, kid).token(request, lifetime=lifetime)
