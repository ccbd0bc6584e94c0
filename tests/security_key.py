"""A software FIDO2 authenticator for the tests: it answers a relying party's WebAuthn
options as a browser with a security key would (ES256 key pair, `none` attestation, a
signature counter), so registration and sign-in run through py_webauthn's real checks.

CBOR comes from cbor2 and signatures from cryptography (both already installed with
py_webauthn); the binary authenticator data is laid out as WebAuthn §6.1 says:
rpIdHash (32) ‖ flags (1) ‖ signCount (4, big-endian) ‖ attested credential data.

The browser tests use Chrome's own virtual authenticator instead.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url

ORIGIN = "http://localhost:8000"
"""The default `GATEWAY_WEBAUTHN_ORIGIN` (Settings() in process)."""
RP_ID = "localhost"

USER_PRESENT = 0x01
USER_VERIFIED = 0x04
ATTESTED_DATA = 0x40


class SoftKey:
    """One credential on a software security key. `counter=False` makes it report 0 on every
    use, as most passkeys do."""

    def __init__(self, *, counter: bool = True) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.sign_count = 0
        self.counter = counter

    @property
    def id(self) -> str:
        """The credential id, base64url (how the browser and the gateway name it)."""
        return bytes_to_base64url(self.credential_id)

    def clone(self) -> SoftKey:
        """A copy holding the same private key and counter: a cloned security key."""
        return copy.deepcopy(self)

    def register(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        rp_id: str | None = None,
        challenge: str | None = None,
        ceremony: str = "webauthn.create",
    ) -> dict[str, Any]:
        """The PublicKeyCredential JSON that `navigator.credentials.create(options)` would
        give (WebAuthn's JSON form: binary fields base64url)."""
        client_data = self._client_data(ceremony, challenge or options["challenge"], origin)
        numbers = self.private_key.public_key().public_numbers()
        cose_key = cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        attested = (
            bytes(16)  # AAGUID: none given
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + cose_key
        )
        auth_data = self._auth_data(
            rp_id or options["rp"]["id"], USER_PRESENT | USER_VERIFIED | ATTESTED_DATA
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data + attested})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["usb"],
            },
        }

    def assertion(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        rp_id: str | None = None,
        challenge: str | None = None,
        user_present: bool = True,
    ) -> dict[str, Any]:
        """The PublicKeyCredential JSON that `navigator.credentials.get(options)` would give,
        the counter moved forward first (unless the key keeps none)."""
        if self.counter:
            self.sign_count += 1
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        flags = (USER_PRESENT if user_present else 0) | USER_VERIFIED
        auth_data = self._auth_data(rp_id or options["rpId"], flags)
        signature = self.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "authenticatorData": bytes_to_base64url(auth_data),
                "signature": bytes_to_base64url(signature),
            },
        }

    def _auth_data(self, rp_id: str, flags: int) -> bytes:
        return (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + self.sign_count.to_bytes(4, "big")
        )

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()
