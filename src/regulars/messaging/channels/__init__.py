"""Channel adapters (`base.Channel`), one module per provider."""

from regulars.messaging.channels.base import (
    Channel,
    ChannelError,
    Outgoing,
    PermanentError,
    SendResult,
    TransientError,
)
from regulars.messaging.channels.legacy import ConsoleChannel, MemoryChannel, Sent

__all__ = [
    "Channel",
    "ChannelError",
    "ConsoleChannel",
    "MemoryChannel",
    "Outgoing",
    "PermanentError",
    "SendResult",
    "Sent",
    "TransientError",
]
