"""How every process here talks to Temporal: payloads encrypted (gongkai.codec) and actors signed
and checked (gongkai.proof), with keys from the installation's secret. The worker, the web, the CLI
and the tests all connect through this module, so none of them speaks to Temporal in clear."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client

from gongkai import codec, proof
from gongkai.keys import KeyRing
from gongkai.settings import Settings


def client_options(settings: Settings) -> dict[str, Any]:
    previous = settings.previous_secret_keys
    return {
        "data_converter": codec.data_converter(codec.ring_for(settings.secret_key, previous)),
        "interceptors": [proof.ActorProof(KeyRing.of(proof.PURPOSE, settings.secret_key, previous),
                                          settings.actor_proof_seconds)],
    }


async def connect(settings: Settings, address: str | None = None) -> Client:
    return await Client.connect(address or settings.temporal_address, namespace=settings.temporal_namespace,
                                **client_options(settings))


def secured(plain: Client, settings: Settings) -> Client:
    """The same connection as `plain`, with the codec and the actor proofs."""
    return Client(**{**plain.config(), **client_options(settings)})
