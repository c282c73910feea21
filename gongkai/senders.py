"""What sending a message needs from the settings, shared by the worker's deliveries
(activities/delivery.Outbox) and the administrators' test messages (web/channels.py), which may
not import activities: the key robots' webhooks and secrets are sealed with, and the mail server."""

from __future__ import annotations

from gongkai.channels import ChannelKind, Robot, Smtp
from gongkai.keys import KeyRing
from gongkai.sealed import unseal
from gongkai.settings import Settings

CHANNEL_SECRETS = "channel-secrets"  # the key purpose robots' webhooks and secrets are sealed with


def channel_ring(settings: Settings) -> KeyRing:
    return KeyRing.of(CHANNEL_SECRETS, settings.secret_key, settings.previous_secret_keys)


def smtp_of(settings: Settings) -> Smtp | None:
    """The mail server, or None when GONGKAI_SMTP_HOST is not set."""
    s = settings
    if not s.smtp_host:
        return None
    return Smtp(s.smtp_host, s.smtp_port, s.smtp_sender or f"gongkai@{s.smtp_host}", s.smtp_username,
                s.smtp_password, s.smtp_security)


def open_robot(ring: KeyRing, kind: str, endpoint: bytes) -> Robot | None:
    """The robot a sealed endpoint holds, or None when no key still held opens it."""
    sealed = unseal(ring, endpoint)
    if not sealed:
        return None
    return Robot(ChannelKind(kind), sealed.get("webhook", ""), sealed.get("secret", ""))
