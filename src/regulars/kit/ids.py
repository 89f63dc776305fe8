"""Primary keys: UUIDv7 made in Python, so keys sort by creation time and need no round trip.

Within one process the ids are strictly increasing, even inside one millisecond (RFC 9562
section 6.2, method 2: the random bits act as a counter), so entries written by one sale in one
transaction keep their order.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_last_seq = 0
_SEQ_BITS = 74  # 12 bits rand_a + 62 bits rand_b


def new_id() -> uuid.UUID:
    global _last_ms, _last_seq
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms, seq = _last_ms, _last_seq + 1 + (os.urandom(1)[0] & 0x0F)
        else:
            seq = int.from_bytes(os.urandom(10), "big") >> (80 - _SEQ_BITS + 1)  # top bit clear
        _last_ms, _last_seq = ms, seq
    rand_a, rand_b = seq >> 62, seq & ((1 << 62) - 1)
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | rand_a << 64 | 0x2 << 62 | rand_b
    return uuid.UUID(int=value)


def new_ids(count: int) -> list[uuid.UUID]:
    """`count` ids as `new_id` would make them one by one, with one turn of the lock (bulk
    inserts: a hundred thousand coupon codes)."""
    global _last_ms, _last_seq
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms, first = _last_ms, _last_seq + 1
        else:
            first = int.from_bytes(os.urandom(10), "big") >> (80 - _SEQ_BITS + 2)  # room to count
        _last_ms, _last_seq = ms, first + count - 1
    head = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | 0x2 << 62
    low = (1 << 62) - 1
    return [_uuid(head | (seq >> 62) << 64 | (seq & low)) for seq in range(first, first + count)]


def _uuid(value: int) -> uuid.UUID:
    """uuid.UUID(int=value) without its checks, for values built above (a tenth of the time)."""
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made
