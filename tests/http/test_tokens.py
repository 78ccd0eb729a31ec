"""Token verification (``app.service.tokens``) decides exactly as the PyJWT 2 verifier it replaced.

The wallet verified tokens with PyJWT 2.15 until PyJWT's per-character Python loops proved to
cost two thirds of a verification. ``pyjwt_verify`` below is that verifier, kept as the
reference: every token here, forged, malformed or fine, must get the same outcome from both
(the same request, or the same code: 2005 for a rejected token, 2004 for an authentic token
without a request). One difference is deliberate and tested on its own: a ``crit`` header.
"""

from __future__ import annotations

import base64
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import jwt
import msgspec
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given
from hypothesis import strategies as st
from jwt.api_jws import PyJWS

from app.service.tokens import KeyRing, MalformedRequest, TokenRejected, _segment, load_public_key

LEEWAY = 5
REQUEST = {"player_id": "p-1", "currency": "EUR", "odds": Decimal("1.8500000000000000001")}


# The reference: the verifier the wallet used until PyJWT was replaced --------------------------

_claims_decoder = msgspec.json.Decoder(float_hook=Decimal)
_claims_encoder = msgspec.json.Encoder(decimal_format="number")


class _StrictClaims(jwt.PyJWT):
    def _decode_payload(self, decoded: dict[str, Any]) -> dict[str, Any]:
        try:
            claims = _claims_decoder.decode(decoded["payload"])
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeError):
            raise MalformedRequest("claims not JSON") from None
        if not isinstance(claims, dict):
            raise MalformedRequest("claims not an object")
        return claims


_reference = _StrictClaims(
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


def pyjwt_verify(keys: KeyRing, token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise TokenRejected(str(error)) from None
    if header.get("alg") != "RS256":
        raise TokenRejected("alg")
    kid = header.get("kid")
    candidates = keys.keys if kid is None else [k for k in keys.keys if kid in k.kids]
    if not candidates:
        raise TokenRejected("kid")
    for candidate in candidates:
        try:
            claims: dict[str, Any] = _reference.decode(
                token, candidate.key, algorithms=["RS256"], leeway=keys.leeway
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as error:
            raise TokenRejected(str(error)) from None
    else:
        raise TokenRejected("signature")
    request = claims.get("payload")
    if not isinstance(request, dict):
        raise MalformedRequest("payload")
    return request


def outcome(verify: Any, keys: KeyRing, token: str) -> object:
    try:
        return verify(keys, token)
    except TokenRejected:
        return 2005
    except MalformedRequest:
        return 2004


# Keys and tokens ------------------------------------------------------------------------------


def b64url(data: bytes, pad: bool = False) -> str:
    text = base64.urlsafe_b64encode(data).decode()
    return text if pad else text.rstrip("=")


class Signer:
    def __init__(self, directory: Path, kid: str) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.path = directory / f"{kid}.pem"
        self.path.write_bytes(
            self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        self.kid = kid

    def raw(self, header: bytes | dict[str, Any], claims: bytes, pad: bool = False) -> str:
        """A token signed over exactly these bytes (the header given as JSON or as bytes)."""
        header_bytes = header if isinstance(header, bytes) else json.dumps(header).encode()
        signing_input = f"{b64url(header_bytes, pad)}.{b64url(claims, pad)}"
        signature = self.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature, pad)}"

    def token(self, claims: dict[str, Any] | None = None, **header: Any) -> str:
        now = int(time.time())
        body = {"iat": now, "exp": now + 60, "payload": REQUEST} if claims is None else claims
        return self.raw(
            {"alg": "RS256", "typ": "JWT", "kid": self.kid, **header},
            _claims_encoder.encode(body),
        )


@pytest.fixture(scope="module")
def signers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Signer, Signer, Signer]:
    directory = tmp_path_factory.mktemp("token-keys")
    return Signer(directory, "first"), Signer(directory, "second"), Signer(directory, "stranger")


@pytest.fixture(scope="module")
def keys(signers: tuple[Signer, Signer, Signer]) -> KeyRing:
    first, second, _ = signers
    return KeyRing([load_public_key(first.path), load_public_key(second.path)], LEEWAY)


def tokens(signers: tuple[Signer, Signer, Signer]) -> dict[str, str]:
    """Every token the two verifiers are compared on, by name."""
    first, second, stranger = signers
    now = int(time.time())

    def timed(**claims: Any) -> str:
        return first.token({"payload": REQUEST, **claims})

    valid = first.token()
    header, claims, signature = valid.split(".")
    forged = b64url(b'{"payload": {"a": 2}}')
    return {
        "valid": valid,
        "valid-second-key-by-kid": second.token(),
        "valid-second-key-by-thumbprint": second.token(
            kid=next(k for k in load_public_key(second.path).kids if k != "second")
        ),
        "valid-no-kid-second-key": second.raw(
            {"alg": "RS256"}, _claims_encoder.encode({"payload": REQUEST})
        ),
        "valid-padded-segments": first.raw(
            {"alg": "RS256", "kid": "first"}, b'{"payload": {"a": 1}}', pad=True
        ),
        "valid-b64-true": first.token(b64=True),
        "valid-b64-not-a-bool": first.token(b64="no"),
        "valid-extra-header-fields": first.token(x5u="https://example.com", typ="at+jwt"),
        "stranger-key-no-kid": stranger.raw({"alg": "RS256"}, b'{"payload": {}}'),
        "stranger-key-our-kid": stranger.token(kid="first"),
        "kid-of-the-other-key": first.token(kid="second"),
        "kid-unknown": first.token(kid="nobody"),
        "kid-number": first.token(kid=7),
        "kid-null": first.token(kid=None),
        "kid-list": first.token(kid=["first"]),
        "alg-missing": first.raw({"kid": "first"}, b'{"payload": {}}'),
        "alg-lowercase": first.token(alg="rs256"),
        "alg-rs512": first.token(alg="RS512"),
        "alg-none": first.token(alg="none"),
        "alg-null": first.token(alg=None),
        "crit-empty": first.token(crit=[]),
        "crit-unknown": first.token(crit=["exp"]),
        "crit-not-a-list": first.token(crit="b64"),
        "b64-false": first.token(b64=False, crit=["b64"]),
        "b64-false-no-crit": first.token(b64=False),
        "header-array": first.raw(b'["RS256"]', b'{"payload": {}}'),
        "header-not-json": first.raw(b"RS256", b'{"payload": {}}'),
        "header-not-utf8": first.raw(b'{"alg": "RS256", "x": "\xff"}', b'{"payload": {}}'),
        "claims-not-json": first.raw({"alg": "RS256"}, b"not json"),
        "claims-array": first.raw({"alg": "RS256"}, b"[]"),
        "claims-nan": first.raw({"alg": "RS256"}, b'{"payload": {"x": NaN}}'),
        "payload-missing": timed(),
        "payload-string": first.token({"payload": "x"}),
        "payload-null": first.token({"payload": None}),
        "exp-within-leeway": timed(exp=now - LEEWAY + 3),
        "exp-beyond-leeway": timed(exp=now - LEEWAY - 3),
        "exp-beyond-leeway-and-no-payload": first.token({"exp": now - LEEWAY - 3}),
        "exp-decimal": timed(exp=now + 60.5),
        "exp-numeric-string": timed(exp=str(now + 60)),
        "exp-text": timed(exp="soon"),
        "exp-null": timed(exp=None),
        "exp-true": timed(exp=True),
        "exp-object": timed(exp={"at": now}),
        "exp-huge": first.raw({"alg": "RS256"}, b'{"exp": 1e400, "payload": {}}'),
        "nbf-within-leeway": timed(nbf=now + LEEWAY - 3),
        "nbf-beyond-leeway": timed(nbf=now + LEEWAY + 3),
        "nbf-text": timed(nbf="x"),
        "iat-within-leeway": timed(iat=now + LEEWAY - 3),
        "iat-beyond-leeway": timed(iat=now + LEEWAY + 3),
        "iat-past": timed(iat=now - 86_400),
        "iat-list": timed(iat=[now]),
        "tampered-claims": f"{header}.{forged}.{signature}",
        "signature-of-another-token": f"{header}.{claims}.{first.token().split('.')[2]}",
        "signature-empty": f"{header}.{claims}.",
        "signature-truncated": valid[:-4],
        "signature-noncanonical-last-character": valid[:-1] + chr(ord(valid[-1]) ^ 1),
        "trailing-newline": valid + "\n",
        "trailing-space": valid + " ",
        "padding-three": f"{header}.{claims}===.{signature}",
        "standard-alphabet": valid.replace("-", "+").replace("_", "/"),
        "non-ascii": valid[:-1] + "é",
        "two-parts": f"{header}.{claims}",
        "four-parts": f"{valid}.{signature}",
        "empty-parts": "..",
        "empty": "",
        "one-word": "hello",
    }


def test_the_replacement_decides_every_token_as_pyjwt_did(
    signers: tuple[Signer, Signer, Signer], keys: KeyRing
) -> None:
    compared = tokens(signers)
    differences = {
        name: (outcome(KeyRing.verify, keys, token), outcome(pyjwt_verify, keys, token))
        for name, token in compared.items()
    }
    differences = {name: pair for name, pair in differences.items() if pair[0] != pair[1]}
    assert differences == {}
    accepted = {
        name
        for name, token in compared.items()
        if isinstance(outcome(KeyRing.verify, keys, token), dict)
    }
    # the comparison means something only if both kinds of outcome occur
    assert {"valid", "valid-no-kid-second-key", "exp-within-leeway", "exp-huge"} <= accepted
    assert "alg-rs512" not in accepted
    assert outcome(KeyRing.verify, keys, compared["claims-not-json"]) == 2004
    assert outcome(KeyRing.verify, keys, compared["exp-beyond-leeway-and-no-payload"]) == 2005


def test_the_request_keeps_its_decimals_exact(
    signers: tuple[Signer, Signer, Signer], keys: KeyRing
) -> None:
    request = keys.verify(signers[0].token())
    assert request == REQUEST
    assert request["odds"] == Decimal("1.8500000000000000001")


def test_a_critical_extension_is_refused_even_the_one_pyjwt_knows(
    signers: tuple[Signer, Signer, Signer], keys: KeyRing
) -> None:
    """PyJWT accepts ``crit: ["b64"]`` with ``b64: true``; the wallet implements no JWS
    extension, so any ``crit`` header is a token it must not accept (RFC 7515, 4.1.11)."""
    token = signers[0].token(crit=["b64"], b64=True)
    assert isinstance(outcome(pyjwt_verify, keys, token), dict)
    with pytest.raises(TokenRejected, match="critical"):
        keys.verify(token)


_segments = st.one_of(
    st.text(alphabet="AQgwBEhx09-_+/=.é \n", max_size=10),
    st.binary(max_size=12).map(lambda data: b64url(data)),
    st.binary(max_size=12).map(lambda data: b64url(data, pad=True)),
    st.tuples(st.binary(min_size=1, max_size=12), st.sampled_from("AQgwBEhx09-_=")).map(
        lambda pair: b64url(pair[0])[:-1] + pair[1]
    ),
)


@given(_segments)
def test_a_segment_decodes_exactly_as_pyjwt_decodes_it(text: str) -> None:
    try:
        expected: bytes | None = PyJWS._decode_base64url_segment(text.encode(), "segment")
    except jwt.DecodeError:
        expected = None
    try:
        decoded: bytes | None = _segment(text, "segment")
    except TokenRejected:
        decoded = None
    assert decoded == expected
