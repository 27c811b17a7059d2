"""A software WebAuthn authenticator and client for the API tests.

``SoftwareAuthenticator`` plays both the authenticator and the browser's client part of a WebAuthn
ceremony: it takes the server's options in their WebAuthn Level 3 JSON form
(``PublicKeyCredentialCreationOptionsJSON`` or ``PublicKeyCredentialRequestOptionsJSON``) and
returns the matching ``RegistrationResponseJSON`` or ``AuthenticationResponseJSON`` dict, ready to
send as a request body. Every binary field is base64url without padding.

It supports three credential algorithms: ``"ES256"`` (COSE -7, ECDSA on P-256 with SHA-256),
``"EdDSA"`` (COSE -8, Ed25519) and ``"RS256"`` (COSE -257, RSA 2048 with PKCS#1 v1.5 and SHA-256),
and two attestation formats: ``"none"`` and ``"packed"`` self attestation. A fourth algorithm,
``"ES384"`` (COSE -35, ECDSA on P-384 with SHA-384), makes credentials a server that accepts only
the three may refuse.

The keyword overrides of ``create`` and ``get`` produce data a server must refuse: another origin,
another RP ID (its hash goes into the authenticator data), another challenge, a missing UV or UP
flag, a cross-origin client, a sign count that goes backwards. A replayed ceremony is simply a
response dict sent twice.

Example::

    authenticator = SoftwareAuthenticator("ES256", origin="http://localhost:8080")
    registration = authenticator.create(creation_options)
    assertion = authenticator.get(request_options)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "AuthenticatorError",
    "Credential",
    "SoftwareAuthenticator",
    "b64url",
    "b64url_decode",
    "cbor_encode",
    "cose_key",
]

# Authenticator data flag bits (WebAuthn Level 3, Section 6.1).
FLAG_UP = 0x01  # user present
FLAG_UV = 0x04  # user verified
FLAG_BE = 0x08  # backup eligible
FLAG_BS = 0x10  # backed up
FLAG_AT = 0x40  # attested credential data included
FLAG_ED = 0x80  # extension data included (never set here)

# COSE algorithm identifiers of the supported algorithms.
COSE_ALGORITHMS = {"ES256": -7, "EdDSA": -8, "RS256": -257, "ES384": -35}


class AuthenticatorError(Exception):
    """The client or authenticator refused the ceremony, as a browser would with a DOMException."""


# --- base64url ---------------------------------------------------------------------------------

def b64url(data: bytes) -> str:
    """``data`` in base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of a base64url string, with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- CBOR --------------------------------------------------------------------------------------

def _cbor_head(major: int, argument: int) -> bytes:
    """The initial byte(s) of a CBOR data item, with the argument in its shortest form."""
    if argument < 24:
        return bytes([major << 5 | argument])
    if argument < 0x100:
        return bytes([major << 5 | 24, argument])
    if argument < 0x10000:
        return bytes([major << 5 | 25]) + struct.pack(">H", argument)
    if argument < 0x100000000:
        return bytes([major << 5 | 26]) + struct.pack(">I", argument)
    if argument < 0x10000000000000000:
        return bytes([major << 5 | 27]) + struct.pack(">Q", argument)
    raise ValueError("integer too large for CBOR")


def cbor_encode(value) -> bytes:
    """The CBOR encoding (RFC 8949) of ``value``.

    Supported: ``bool``, ``int`` (within 64 bits, either sign), ``bytes``, ``str``, ``list`` and
    ``tuple`` (arrays) and ``dict`` (maps, keys written in the dict's order, so callers choose the
    order). Integer arguments take their shortest form; lengths are always definite.
    """
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, (bytes, bytearray)):
        return _cbor_head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        encoded = value.encode("utf-8")
        return _cbor_head(3, len(encoded)) + encoded
    if isinstance(value, (list, tuple)):
        return _cbor_head(4, len(value)) + b"".join(cbor_encode(item) for item in value)
    if isinstance(value, dict):
        return _cbor_head(5, len(value)) + b"".join(
            cbor_encode(key) + cbor_encode(item) for key, item in value.items())
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


# --- keys ----------------------------------------------------------------------------------------

def _unsigned_bytes(number: int) -> bytes:
    """``number`` as big-endian unsigned bytes, without leading zero bytes (at least one byte)."""
    return number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")


def _generate_key(algorithm: str):
    """A new private key for ``algorithm``."""
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if algorithm == "ES384":
        return ec.generate_private_key(ec.SECP384R1())
    raise ValueError(f"unsupported algorithm {algorithm!r}; use one of {sorted(COSE_ALGORITHMS)}")


def cose_key(algorithm: str, public_key) -> dict:
    """The COSE_Key map (RFC 9052/9053, RFC 8230) of a public key, keys in the usual order.

    ES256: ``{1: 2 (EC2), 3: -7, -1: 1 (P-256), -2: x, -3: y}`` with 32-byte coordinates.
    EdDSA: ``{1: 1 (OKP), 3: -8, -1: 6 (Ed25519), -2: x}`` with the 32-byte public key.
    RS256: ``{1: 3 (RSA), 3: -257, -1: n, -2: e}``, big-endian unsigned, without leading zeros.
    ES384: ``{1: 2 (EC2), 3: -35, -1: 2 (P-384), -2: x, -3: y}`` with 48-byte coordinates.
    """
    if algorithm == "ES256":
        numbers = public_key.public_numbers()
        return {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
    if algorithm == "EdDSA":
        return {1: 1, 3: -8, -1: 6, -2: public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)}
    if algorithm == "RS256":
        numbers = public_key.public_numbers()
        return {1: 3, 3: -257, -1: _unsigned_bytes(numbers.n), -2: _unsigned_bytes(numbers.e)}
    if algorithm == "ES384":
        numbers = public_key.public_numbers()
        return {1: 2, 3: -35, -1: 2, -2: numbers.x.to_bytes(48, "big"), -3: numbers.y.to_bytes(48, "big")}
    raise ValueError(f"unsupported algorithm {algorithm!r}")


def _sign(algorithm: str, private_key, data: bytes) -> bytes:
    """A signature over ``data`` in the form WebAuthn uses for ``algorithm``.

    ES256: ASN.1 DER ``Ecdsa-Sig-Value``; EdDSA: the 64 raw bytes; RS256: PKCS#1 v1.5 with SHA-256;
    ES384: ASN.1 DER ``Ecdsa-Sig-Value`` with SHA-384.
    """
    if algorithm == "ES256":
        return private_key.sign(data, ec.ECDSA(hashes.SHA256()))
    if algorithm == "ES384":
        return private_key.sign(data, ec.ECDSA(hashes.SHA384()))
    if algorithm == "EdDSA":
        return private_key.sign(data)
    if algorithm == "RS256":
        return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise ValueError(f"unsupported algorithm {algorithm!r}")


# --- credentials ---------------------------------------------------------------------------------

@dataclass
class Credential:
    """One credential the authenticator holds.

    ``rp_id`` is the RP ID whose hash went into the registration; ``user_handle`` is the
    ``user.id`` of the creation options (raw bytes); ``sign_count`` is the last count reported.
    """
    id: bytes
    algorithm: str
    private_key: object
    rp_id: str
    user_handle: bytes
    user_name: str
    discoverable: bool = True
    sign_count: int = 0

    @property
    def id_b64(self) -> str:
        """The credential id in base64url."""
        return b64url(self.id)

    @property
    def public_key(self):
        """The credential's public key (a ``cryptography`` public key object)."""
        return self.private_key.public_key()

    def cose_public_key(self) -> bytes:
        """The CBOR-encoded COSE_Key of the public key, as in the attested credential data."""
        return cbor_encode(cose_key(self.algorithm, self.public_key))

    def sign(self, data: bytes) -> bytes:
        """A signature over ``data`` with the credential's private key."""
        return _sign(self.algorithm, self.private_key, data)


# --- the authenticator ---------------------------------------------------------------------------

def _client_data_json(kind: str, challenge: str, origin: str, cross_origin: bool) -> bytes:
    """The compact ``clientDataJSON`` bytes, keys in the order a browser writes them."""
    data = {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": cross_origin}
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def _challenge_text(challenge: str | bytes) -> str:
    """A challenge as the base64url string the client data carries."""
    return b64url(challenge) if isinstance(challenge, (bytes, bytearray)) else challenge


class SoftwareAuthenticator:
    """A software authenticator with its client: it makes and uses credentials of one algorithm.

    ``algorithm``: ``"ES256"``, ``"EdDSA"``, ``"RS256"`` (or ``"ES384"``, see the module's docstring).
    ``origin``: the client's origin, written into every ``clientDataJSON``.
    ``aaguid``: 16 bytes, written into the attested credential data (default all zeros).
    ``backup_eligible``/``backed_up``: the BE and BS flags of every ceremony (BS without BE is
    allowed, to produce data a server must refuse).
    ``user_verified``/``user_present``: whether the UV and UP flags are set by default.
    ``sign_count_step``: how much each assertion adds to a credential's sign count; 0 makes the
    authenticator always report 0, as many passkey providers do.
    ``attachment``: ``authenticatorAttachment`` of the responses (``"platform"`` or
    ``"cross-platform"``); ``transports``: the transports reported at registration (default
    ``["internal", "hybrid"]`` for a platform authenticator, ``["usb"]`` otherwise).
    """

    def __init__(self, algorithm: str = "ES256", *, origin: str = "http://localhost:8080",
                 aaguid: bytes = bytes(16), backup_eligible: bool = False, backed_up: bool = False,
                 user_verified: bool = True, user_present: bool = True, sign_count_step: int = 1,
                 attachment: str = "platform", transports: list[str] | None = None):
        if algorithm not in COSE_ALGORITHMS:
            raise ValueError(f"unsupported algorithm {algorithm!r}; use one of {sorted(COSE_ALGORITHMS)}")
        if len(aaguid) != 16:
            raise ValueError("aaguid must be 16 bytes")
        if attachment not in ("platform", "cross-platform"):
            raise ValueError("attachment must be 'platform' or 'cross-platform'")
        self.algorithm = algorithm
        self.origin = origin
        self.aaguid = bytes(aaguid)
        self.backup_eligible = backup_eligible
        self.backed_up = backed_up
        self.user_verified = user_verified
        self.user_present = user_present
        self.sign_count_step = sign_count_step
        self.attachment = attachment
        if transports is None:
            transports = ["internal", "hybrid"] if attachment == "platform" else ["usb"]
        self.transports = list(transports)
        self.credentials: list[Credential] = []

    @property
    def cose_algorithm(self) -> int:
        """The COSE algorithm identifier of this authenticator's credentials."""
        return COSE_ALGORITHMS[self.algorithm]

    # -- pieces -----------------------------------------------------------------------------------

    def _flags(self, user_present: bool, user_verified: bool, attested: bool) -> int:
        flags = 0
        if user_present:
            flags |= FLAG_UP
        if user_verified:
            flags |= FLAG_UV
        if self.backup_eligible:
            flags |= FLAG_BE
        if self.backed_up:
            flags |= FLAG_BS
        if attested:
            flags |= FLAG_AT
        return flags

    def authenticator_data(self, rp_id: str, flags: int, sign_count: int,
                           credential: Credential | None = None) -> bytes:
        """rpIdHash (32) || flags (1) || signCount (4, big-endian) || [attested credential data].

        The attested credential data (aaguid || credential id length (2, big-endian) ||
        credential id || COSE_Key) follows when ``credential`` is given; set ``FLAG_AT`` with it.
        """
        data = hashlib.sha256(rp_id.encode("utf-8")).digest() + bytes([flags]) + struct.pack(">I", sign_count)
        if credential is not None:
            data += self.aaguid + struct.pack(">H", len(credential.id)) + credential.id
            data += credential.cose_public_key()
        return data

    def find_credential(self, credential_id: bytes | str) -> Credential | None:
        """The credential with this id (raw bytes or base64url), or None."""
        raw = b64url_decode(credential_id) if isinstance(credential_id, str) else bytes(credential_id)
        return next((credential for credential in self.credentials if credential.id == raw), None)

    # -- registration -----------------------------------------------------------------------------

    def create(self, options: dict, *, origin: str | None = None, rp_id: str | None = None,
               fmt: str = "none", user_verified: bool | None = None, user_present: bool | None = None,
               challenge: str | bytes | None = None, cross_origin: bool = False,
               check_options: bool = True, att_stmt: dict | None = None,
               credential: Credential | None = None) -> dict:
        """Make a credential for ``PublicKeyCredentialCreationOptionsJSON`` ``options``.

        Returns the ``RegistrationResponseJSON`` dict and keeps the new credential.

        ``fmt``: ``"none"`` (empty attStmt) or ``"packed"`` (self attestation: the credential's
        own key signs authenticatorData || SHA-256(clientDataJSON)).
        Overrides, for data a server must refuse: ``origin`` and ``cross_origin`` go into the
        client data; ``rp_id`` replaces the options' RP ID in the authenticator data (the
        credential keeps it); ``challenge`` (base64url string or bytes) replaces the options'
        challenge; ``user_verified``/``user_present`` set or clear the UV/UP flags.
        With ``check_options`` (the default) the client refuses, as a browser would, options
        whose ``pubKeyCredParams`` leave out this authenticator's algorithm, and options whose
        ``excludeCredentials`` name a credential it already holds: it raises ``AuthenticatorError``.
        ``att_stmt`` replaces the attestation statement the format would carry; with it, ``fmt``
        may be any format name (such as ``"fido-u2f"``). ``credential``, one this authenticator
        holds, is registered again (same id and key) instead of a new one; pass
        ``check_options=False`` when the options exclude it.
        """
        if fmt not in ("none", "packed") and att_stmt is None:
            raise ValueError("fmt must be 'none' or 'packed' unless att_stmt is given")
        params = options.get("pubKeyCredParams") or []
        if check_options and params and not any(
                param.get("type") == "public-key" and param.get("alg") == self.cose_algorithm for param in params):
            raise AuthenticatorError(f"{self.algorithm} (COSE {self.cose_algorithm}) is not in pubKeyCredParams")
        if check_options:
            for excluded in options.get("excludeCredentials") or []:
                if self.find_credential(excluded["id"]) is not None:
                    raise AuthenticatorError("the authenticator already holds a credential in excludeCredentials")

        used_rp_id = rp_id or options.get("rp", {}).get("id") or _host(origin or self.origin)
        selection = options.get("authenticatorSelection") or {}
        discoverable = selection.get("residentKey") != "discouraged" or bool(selection.get("requireResidentKey"))
        user = options["user"]
        new = credential is None
        if new:
            credential = Credential(
                id=os.urandom(16 + os.urandom(1)[0] % 17),  # 16 to 32 random bytes
                algorithm=self.algorithm,
                private_key=_generate_key(self.algorithm),
                rp_id=used_rp_id,
                user_handle=b64url_decode(user["id"]),
                user_name=user.get("name", ""),
                discoverable=discoverable,
            )

        client_data = _client_data_json(
            "webauthn.create", _challenge_text(challenge if challenge is not None else options["challenge"]),
            origin or self.origin, cross_origin)
        flags = self._flags(self.user_present if user_present is None else user_present,
                            self.user_verified if user_verified is None else user_verified, attested=True)
        auth_data = self.authenticator_data(used_rp_id, flags, credential.sign_count, credential)

        if att_stmt is None:
            if fmt == "packed":
                signature = credential.sign(auth_data + hashlib.sha256(client_data).digest())
                att_stmt = {"alg": COSE_ALGORITHMS[credential.algorithm], "sig": signature}
            else:
                att_stmt = {}
        attestation_object = cbor_encode({"fmt": fmt, "attStmt": att_stmt, "authData": auth_data})

        if new:
            self.credentials.append(credential)
        return {
            "id": credential.id_b64,
            "rawId": credential.id_b64,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation_object),
                "transports": list(self.transports),
            },
            "authenticatorAttachment": self.attachment,
            "clientExtensionResults": {},
        }

    # -- authentication ---------------------------------------------------------------------------

    def _pick_credential(self, options: dict, credential: Credential | bytes | str | None) -> Credential:
        """The credential a ``get`` uses: the given one, the first allowed one, or a discoverable one."""
        if isinstance(credential, Credential):
            return credential
        if credential is not None:
            found = self.find_credential(credential)
            if found is None:
                raise AuthenticatorError("the authenticator holds no credential with that id")
            return found
        allowed = options.get("allowCredentials") or []
        if allowed:
            for descriptor in allowed:
                found = self.find_credential(descriptor["id"])
                if found is not None:
                    return found
            raise AuthenticatorError("the authenticator holds none of the allowCredentials")
        rp_id = options.get("rpId") or _host(self.origin)
        for candidate in self.credentials:
            if candidate.discoverable and candidate.rp_id == rp_id:
                return candidate
        raise AuthenticatorError(f"the authenticator holds no discoverable credential for {rp_id!r}")

    def get(self, options: dict, *, credential: Credential | bytes | str | None = None,
            origin: str | None = None, rp_id: str | None = None, user_verified: bool | None = None,
            user_present: bool | None = None, challenge: str | bytes | None = None,
            sign_count: int | None = None, cross_origin: bool = False) -> dict:
        """Sign in with a credential for ``PublicKeyCredentialRequestOptionsJSON`` ``options``.

        Returns the ``AuthenticationResponseJSON`` dict.

        The credential is ``credential`` (a ``Credential`` or its id) if given; otherwise the first
        one held whose id is in ``allowCredentials``; otherwise (empty ``allowCredentials``) the
        first discoverable one for the options' ``rpId``. Raises ``AuthenticatorError`` if none fits.
        The sign count grows by ``sign_count_step``; ``sign_count`` forces the reported (and kept)
        value instead, e.g. one lower than before.
        Overrides, for data a server must refuse: ``origin``, ``cross_origin``, ``rp_id`` (hashed
        into the authenticator data, credential choice unchanged), ``challenge``,
        ``user_verified``/``user_present``.
        """
        chosen = self._pick_credential(options, credential)
        if sign_count is not None:
            chosen.sign_count = sign_count
        elif self.sign_count_step:
            chosen.sign_count += self.sign_count_step

        client_data = _client_data_json(
            "webauthn.get", _challenge_text(challenge if challenge is not None else options["challenge"]),
            origin or self.origin, cross_origin)
        flags = self._flags(self.user_present if user_present is None else user_present,
                            self.user_verified if user_verified is None else user_verified, attested=False)
        used_rp_id = rp_id or options.get("rpId") or chosen.rp_id
        auth_data = self.authenticator_data(used_rp_id, flags, chosen.sign_count)
        signature = chosen.sign(auth_data + hashlib.sha256(client_data).digest())

        return {
            "id": chosen.id_b64,
            "rawId": chosen.id_b64,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(chosen.user_handle),
            },
            "authenticatorAttachment": self.attachment,
            "clientExtensionResults": {},
        }


def _host(origin: str) -> str:
    """The host of an origin such as ``http://localhost:8080`` (the default RP ID)."""
    rest = origin.split("://", 1)[-1]
    if rest.startswith("["):  # IPv6 literal
        return rest[1:rest.index("]")]
    return rest.split("/", 1)[0].rsplit(":", 1)[0]
