"""The provider's RS256 tokens: public keys, verification, and the development key pair.

Keys come from ``WALLET_JWT_PUBLIC_KEYS`` (comma-separated PEM files, parsed once at start-up).
A key is known by two key ids: the file name without ``.pem`` (name the file after the kid
the provider announces, e.g. ``betby-2025.pem``) and its RFC 7638 JWK thumbprint. A token whose
header names a ``kid`` is checked against the keys with that id only; a token without one
is checked against every configured key, in the configured order.

Only RS256 is accepted, whatever the header says. ``exp``, ``nbf`` and ``iat`` are checked
when present, with the configured leeway. The claims are decoded strictly (no NaN, no lone
surrogates) with decimals kept exact, so odds such as ``1.8500000000000000001`` reach the
database digit for digit.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import jwt
import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import load_pem_x509_certificate

from app.config import ConfigError

ALGORITHM = "RS256"
DEV_PUBLIC_KEY = "dev-jwt.pem"
DEV_PRIVATE_KEY = "dev-jwt.private.pem"


class TokenRejected(Exception):
    """The ``payload`` string is not a valid RS256 JWS under a configured key (code 2005)."""


class MalformedRequest(Exception):
    """The token is authentic but carries no request object (code 2004)."""


@dataclass(frozen=True, slots=True)
class PublicKey:
    path: Path
    kids: frozenset[str]
    key: rsa.RSAPublicKey


def load_public_key(path: Path) -> PublicKey:
    """Read one PEM public key (or certificate); ConfigError naming the file if it is not one."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"JWT public key file {path}: cannot be read ({error.strerror})"
        ) from None
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            key: object = load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except ValueError:
        hint = " (it holds a private key)" if b"PRIVATE KEY-----" in data else ""
        raise ConfigError(
            f"JWT public key file {path}: not a PEM public key or certificate{hint}"
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigError(
            f"JWT public key file {path}: holds a {type(key).__name__}, but tokens are RS256 "
            "and need an RSA public key"
        )
    return PublicKey(path=path, kids=frozenset({_kid_of(path), jwk_thumbprint(key)}), key=key)


def _kid_of(path: Path) -> str:
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


_claims_decoder = msgspec.json.Decoder(float_hook=Decimal)
_request_encoder = msgspec.json.Encoder(decimal_format="number")


class _StrictClaims(jwt.PyJWT):
    """PyJWT with a strict, exact JSON decoder for the claims (the documented override)."""

    def _decode_payload(self, decoded: dict[str, Any]) -> dict[str, Any]:
        # Only reached once the signature is verified: what fails here is authentic but
        # malformed, which the contract calls a bad request, not a bad token.
        try:
            claims = _claims_decoder.decode(decoded["payload"])
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeError):
            raise MalformedRequest("the token's claims are not valid JSON") from None
        if not isinstance(claims, dict):
            raise MalformedRequest("the token's claims are not a JSON object")
        return claims


class KeyRing:
    """The configured public keys and the rules a token must pass."""

    def __init__(self, keys: list[PublicKey], leeway: float) -> None:
        if not keys:
            raise ConfigError("no JWT public key configured (WALLET_JWT_PUBLIC_KEYS)")
        self.keys = tuple(keys)
        self.leeway = leeway
        self._jwt = _StrictClaims(
            options={
                "verify_signature": True,
                "verify_exp": True,
                "verify_nbf": True,
                "verify_iat": True,
                "verify_aud": False,
                "verify_iss": False,
                "verify_sub": False,
                "verify_jti": False,
                "require": [],
            }
        )

    @classmethod
    def from_files(cls, paths: tuple[Path, ...], leeway: float) -> KeyRing:
        return cls([load_public_key(path) for path in paths], leeway)

    def verify(self, token: str) -> dict[str, Any]:
        """The request object in the ``payload`` claim of a valid token.

        Raises TokenRejected (2005) or MalformedRequest (2004).
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRejected(f"not a JWS: {error}") from None
        if header.get("alg") != ALGORITHM:
            raise TokenRejected(f"algorithm {header.get('alg')!r} is not accepted, only RS256")
        kid = header.get("kid")
        candidates = self.keys if kid is None else [k for k in self.keys if kid in k.kids]
        if not candidates:
            raise TokenRejected("the token names a key id that is not configured")
        claims: dict[str, Any] | None = None
        for candidate in candidates:
            try:
                claims = self._jwt.decode(
                    token, candidate.key, algorithms=[ALGORITHM], leeway=self.leeway
                )
                break
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as error:
                raise TokenRejected(str(error)) from None
        if claims is None:
            raise TokenRejected("signature verification failed under every configured key")
        request = claims.get("payload")
        if not isinstance(request, dict):
            what = "missing" if request is None else f"a {type(request).__name__}, not an object"
            raise MalformedRequest(f"the token's payload claim is {what}")
        return request


def encode_request(request: dict[str, Any]) -> str:
    """The request object as compact JSON text for the route function's jsonb argument."""
    return _request_encoder.encode(request).decode()


@dataclass(frozen=True, slots=True)
class DevKeyPair:
    private_key: Path
    public_key: Path
    created: bool

    @property
    def kid(self) -> str:
        return _kid_of(self.public_key)


def ensure_dev_key_pair(data_dir: Path) -> DevKeyPair:
    """The development key pair in ``data_dir``, made on first use and reused afterwards."""
    private_path = data_dir / DEV_PRIVATE_KEY
    public_path = data_dir / DEV_PUBLIC_KEY
    if private_path.exists() and public_path.exists():
        return DevKeyPair(private_path, public_path, created=False)
    data_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(private_pem)
    public_path.write_bytes(public_pem)
    return DevKeyPair(private_path, public_path, created=True)


def sign_request(
    request: object, private_key_path: Path, *, kid: str | None, lifetime: int = 300
) -> str:
    """A provider-style token carrying ``request`` in its ``payload`` claim (for development)."""
    try:
        key = serialization.load_pem_private_key(private_key_path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise ConfigError(f"private key {private_key_path}: {error}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"private key {private_key_path}: not an RSA key")
    now = int(time.time())
    headers = {"kid": kid} if kid else None
    return jwt.encode(
        {"iat": now, "exp": now + lifetime, "payload": request},
        key,
        algorithm=ALGORITHM,
        headers=headers,
    )
