"""IP address truncation, exactly as Matomo does it.

Matomo's ``ipAddressMaskLength`` (our policy key ``privacy.ip_mask_bytes``) counts bytes:

* IPv4: zero the last N bytes (N = 0..4).
* IPv6: keep the first 64, 48, 24 or 0 bits for N = 1, 2, 3, 4.
* IPv4-mapped (``::ffff:a.b.c.d``) and IPv4-compatible (``::a.b.c.d``) addresses are truncated
  byte-wise like IPv4 on their 16 bytes, which is what Matomo's ``IPv6::isMappedIPv4`` decides.

The output renders mapped addresses as ``::ffff:a.b.c.d`` (PHP's ``inet_ntop`` form), not
Python's ``::ffff:c0a8:0``, so stored values read the same as in Matomo. Anything that does not
parse as an IP address truncates to ``0.0.0.0``: a bad value must never reach storage verbatim.
"""

from __future__ import annotations

import functools
import ipaddress

_IPV6_KEEP_BITS = {0: 128, 1: 64, 2: 48, 3: 24, 4: 0}
_MAPPED_PREFIXES = (bytes(10) + b"\xff\xff", bytes(12))
_ALL_ONES = (1 << 128) - 1


@functools.lru_cache(maxsize=16_384)
def truncate_ip(ip: str, mask_bytes: int) -> str:
    """Return ``ip`` with ``mask_bytes`` bytes masked, rendered like Matomo stores it.

    A pure function of its arguments, cached: the same visitors' addresses come back hit after
    hit, and parsing an address costs more than the rest of a hit's handling together.
    """
    try:
        packed = bytearray(ipaddress.ip_address(ip.strip()).packed)
    except ValueError:
        return "0.0.0.0"
    level = max(0, mask_bytes)
    if len(packed) == 4 or bytes(packed[:12]) in _MAPPED_PREFIXES:
        count = min(level, len(packed))
        for i in range(len(packed) - count, len(packed)):
            packed[i] = 0
        return _render(bytes(packed))
    keep = _IPV6_KEEP_BITS[min(level, 4)]
    mask = _ALL_ONES ^ ((1 << (128 - keep)) - 1)
    value = int.from_bytes(packed, "big") & mask
    return _render(value.to_bytes(16, "big"))


def _render(packed: bytes) -> str:
    if len(packed) == 4:
        return str(ipaddress.IPv4Address(packed))
    if packed[:12] == bytes(10) + b"\xff\xff":
        return "::ffff:" + str(ipaddress.IPv4Address(packed[12:]))
    if packed[:12] == bytes(12) and packed[12:14] != b"\x00\x00":
        return "::" + str(ipaddress.IPv4Address(packed[12:]))  # inet_ntop's IPv4-compatible form
    return str(ipaddress.IPv6Address(packed))
