"""Every payload Temporal keeps (workflow inputs, update arguments, activity inputs and results,
query answers, failures' messages, stack traces and details) is encrypted with AES-GCM before it
leaves the process, so the server, its database and `temporal workflow show` hold no personal data
in clear (个人信息保护法 Arts. 28, 51). Each payload names its key, so keys rotate: older keys still
open old payloads. A payload that is not encrypted (histories recorded before the codec) passes
through as it is."""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

from gongkai.keys import KeyRing

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
PURPOSE = "temporal-payloads"


class UnknownKey(ValueError):
    pass


class EncryptionCodec(PayloadCodec):
    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._ciphers = {kid: AESGCM(key) for kid, key in ring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(12)
        sealed = self._ciphers[self.ring.current_id].encrypt(nonce, payload.SerializeToString(), None)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: self.ring.current_id.encode()}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        kid = payload.metadata.get(KEY_ID, b"").decode()
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise UnknownKey(f"payload encrypted with unknown key {kid!r} (is GONGKAI_PREVIOUS_SECRET_KEYS complete?)")
        try:
            plain = cipher.decrypt(payload.data[:12], payload.data[12:], None)
        except InvalidTag:
            raise UnknownKey(f"payload does not open with key {kid!r}") from None
        return Payload.FromString(plain)


def ring_for(secret: str, previous: tuple[str, ...] = ()) -> KeyRing:
    return KeyRing.of(PURPOSE, secret, previous)


def data_converter(ring: KeyRing) -> DataConverter:
    # Failures' messages and stack traces are encrypted too: an activity's error can quote its data.
    return DataConverter(payload_codec=EncryptionCodec(ring),
                         failure_converter_class=DefaultFailureConverterWithEncodedAttributes)
