"""The provider's RS256 tokens, as the service verifies them: public keys and the key ring.

Keys come from ``WALLET_JWT_PUBLIC_KEYS`` (comma-separated PEM files, parsed once at start-up).
A key is known by two key ids: the file name without ``.pem`` (name the file after the kid
the provider announces, e.g. ``betby-2025.pem``) and its RFC 7638 JWK thumbprint. A token whose
header names a ``kid`` is checked against the keys with that id only; a token without one
is checked against every configured key, in the configured order.

Only RS256 is accepted: a header naming another ``alg``, a ``crit`` extension or an unencoded
payload is refused before any key is tried. ``exp``, ``nbf`` and ``iat`` are checked when
present, with the configured leeway. The claims are decoded strictly (no NaN, no lone
surrogates) with decimals kept exact, so odds such as ``1.8500000000000000001`` reach the
database digit for digit.

Verification is written here on ``cryptography`` (PKCS#1 v1.5, SHA-256) rather than with PyJWT,
whose decoder checks every character of every segment in a Python loop: a 2.3 KB bet/make
token took 157 µs with PyJWT 2.15 and takes 31 µs here, of which 15 µs are the RSA check
(``bench/bench_tokens.py``). One compiled regular expression checks each segment's alphabet.
The rules are PyJWT's, token for token (``tests/http/test_tokens.py`` compares the two), except
that any ``crit`` header is refused. The signing side (``wallet token``, the simulator, the
development key pair) is :mod:`app.keys`.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import load_pem_x509_certificate

from app.config import ConfigError
from app.keys import jwk_thumbprint, kid_of

ALGORITHM = "RS256"


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
    return PublicKey(path=path, kids=frozenset({kid_of(path), jwk_thumbprint(key)}), key=key)


_claims_decoder = msgspec.json.Decoder(float_hook=Decimal)
_request_encoder = msgspec.json.Encoder(decimal_format="number")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_TIME_CLAIMS = ("iat", "nbf", "exp")
_CANONICAL_LAST = {2: frozenset("AQgw"), 3: frozenset("AEIMQUYcgkosw048")}
"""The characters that may end a base64url text of length 2 or 3 (mod 4): those whose unused
low bits are zero, so that each byte string has exactly one encoding."""


def _segment(text: str, name: str) -> bytes:
    """One base64url segment of a compact JWS, decoded; TokenRejected unless it is canonical
    base64url (up to two ``=`` of padding are tolerated, as PyJWT does)."""
    stripped = text.rstrip("=")
    padded = len(text) - len(stripped)
    tail = len(stripped) % 4
    if (
        padded > 2
        or (padded and len(text) % 4)
        or tail == 1
        or (tail and stripped[-1] not in _CANONICAL_LAST[tail])
        or not _BASE64URL.fullmatch(stripped)
    ):
        raise TokenRejected(f"the {name} is not canonical base64url")
    return base64.urlsafe_b64decode(stripped + "=" * (4 - tail if tail else 0))


def _header(segment: bytes) -> dict[str, Any]:
    try:
        header = json.loads(segment)
    except (ValueError, RecursionError):
        raise TokenRejected("the header is not JSON") from None
    if not isinstance(header, dict):
        raise TokenRejected("the header is not a JSON object")
    if header.get("alg") != ALGORITHM:
        raise TokenRejected(f"algorithm {header.get('alg')!r} is not accepted, only RS256")
    if "kid" in header and not isinstance(header["kid"], str):
        raise TokenRejected("the header's kid is not a string")
    if "crit" in header:
        raise TokenRejected("the header names critical extensions; the wallet supports none")
    if header.get("b64", True) is False:
        raise TokenRejected("unencoded (b64: false) payloads are not accepted")
    return header


def _claims(segment: bytes) -> dict[str, Any]:
    # Only reached once the signature is verified: what fails here is authentic but
    # malformed, which the contract calls a bad request, not a bad token.
    try:
        claims = _claims_decoder.decode(segment)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeError):
        raise MalformedRequest("the token's claims are not valid JSON") from None
    if not isinstance(claims, dict):
        raise MalformedRequest("the token's claims are not a JSON object")
    return claims


def _check_times(claims: dict[str, Any], leeway: float) -> None:
    """``iat``, ``nbf`` and ``exp`` when present, read and compared as PyJWT 2 does."""
    now = time.time()
    for name in _TIME_CLAIMS:
        if name not in claims:
            continue
        try:
            value = int(claims[name])
        except (ValueError, TypeError, OverflowError, ArithmeticError):
            raise TokenRejected(f"the {name} claim is not an integer") from None
        if name == "exp":
            if value <= now - leeway:
                raise TokenRejected("the token has expired (exp)")
        elif value > now + leeway:
            raise TokenRejected(f"the token is not yet valid ({name})")


class KeyRing:
    """The configured public keys and the rules a token must pass."""

    def __init__(self, keys: list[PublicKey], leeway: float) -> None:
        if not keys:
            raise ConfigError("no JWT public key configured (WALLET_JWT_PUBLIC_KEYS)")
        self.keys = tuple(keys)
        self.leeway = leeway

    @classmethod
    def from_files(cls, paths: tuple[Path, ...], leeway: float) -> KeyRing:
        return cls([load_public_key(path) for path in paths], leeway)

    def verify(self, token: str) -> dict[str, Any]:
        """The request object in the ``payload`` claim of a valid token.

        Raises TokenRejected (2005) or MalformedRequest (2004).
        """
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenRejected(f"not a compact JWS: {len(parts)} parts, not 3")
        header_part, claims_part, signature_part = parts
        header = _header(_segment(header_part, "header"))
        claims_segment = _segment(claims_part, "claims")
        signature = _segment(signature_part, "signature")
        kid = header.get("kid")
        candidates = self.keys if kid is None else [k for k in self.keys if kid in k.kids]
        if not candidates:
            raise TokenRejected("the token names a key id that is not configured")
        # The segments passed the alphabet check, so the signing input is ASCII.
        signing_input = token[: len(header_part) + 1 + len(claims_part)].encode("ascii")
        for candidate in candidates:
            try:
                candidate.key.verify(signature, signing_input, _PKCS1V15, _SHA256)
                break
            except InvalidSignature:
                continue
        else:
            raise TokenRejected("signature verification failed under every configured key")
        claims = _claims(claims_segment)
        _check_times(claims, self.leeway)
        request = claims.get("payload")
        if not isinstance(request, dict):
            what = "missing" if request is None else f"a {type(request).__name__}, not an object"
            raise MalformedRequest(f"the token's payload claim is {what}")
        return request


def encode_request(request: dict[str, Any]) -> bytes:
    """The request object as compact JSON text (UTF-8) for the route function's jsonb
    argument."""
    return _request_encoder.encode(request)
