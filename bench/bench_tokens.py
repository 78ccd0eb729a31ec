"""Microseconds per token verification: ``KeyRing.verify`` on a provider-style bet/make token.

The token carries a 3-selection bet/make request (about 2.4 KB once signed), a ``kid`` and
``iat``/``exp``, under a 2048-bit RSA key, as a provider sends it. Prints JSON: the token's
length and the best of ``--repeat`` runs of ``--number`` verifications, in µs per verify.
No database.

    uv run python bench/bench_tokens.py
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import timeit
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.service.tokens import KeyRing, load_public_key
from app.simulator import provider as p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=2000, help="verifications per run")
    parser.add_argument("--repeat", type=int, default=7, help="runs; the best is reported")
    args = parser.parse_args()

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with tempfile.TemporaryDirectory() as directory:
        public = Path(directory) / "provider-2025.pem"
        public.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        keys = KeyRing([load_public_key(public)], leeway=5)
    request = p.make(
        "player-1", 1_000, selections=[p.selection(n, sport=str(n)) for n in (1, 2, 3)]
    )
    now = int(time.time())
    token = jwt.encode(
        {"iat": now, "exp": now + 3600, "payload": request},
        key,
        algorithm="RS256",
        headers={"kid": "provider-2025"},
    )
    assert keys.verify(token) == request
    runs = timeit.repeat(lambda: keys.verify(token), number=args.number, repeat=args.repeat)
    print(
        json.dumps(
            {
                "token_bytes": len(token),
                "verify_us_best": round(min(runs) / args.number * 1e6, 1),
                "verify_us_median": round(sorted(runs)[len(runs) // 2] / args.number * 1e6, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
