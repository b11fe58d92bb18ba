"""Country of an IP address, from a MaxMind-format (``.mmdb``) database the operator supplies.

Lookups take the full address, before truncation (Matomo's default: geolocating a truncated
address gives wrong countries), and keep nothing: there is deliberately no cache here, so no
untruncated address ever sits in memory longer than the request that carries it. A lookup is
memory-mapped and takes tens of microseconds, fast enough to run on the event loop.

Both GeoLite2/GeoIP2 Country and City databases work (and DB-IP's compatible ones); only the
ISO country code is read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from types import TracebackType
from typing import Protocol

import geoip2.database
import geoip2.errors
import geoip2.models


class GeoLookup(Protocol):
    """Anything that can name the country of an IP address (None when it cannot)."""

    def country(self, ip: str) -> str | None: ...


class ClosableGeoLookup(GeoLookup, Protocol):
    """A ``GeoLookup`` that holds a resource to release at shutdown."""

    def close(self) -> None: ...


class NullGeo:
    """No database configured: every country is unknown."""

    def country(self, ip: str) -> str | None:
        return None

    def close(self) -> None:
        return None


class MaxMindGeo:
    """Countries from a ``.mmdb`` file via ``geoip2``.

    Opening fails loudly (``FileNotFoundError``, ``maxminddb.InvalidDatabaseError``, or
    ``ValueError`` for a database that holds no countries), so a bad ``--geoip`` path stops the
    service at start-up. Lookups never raise for an unknown or malformed address.
    """

    def __init__(self, path: str) -> None:
        self._reader = geoip2.database.Reader(path)
        database_type = self._reader.metadata().database_type
        lookup: Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], geoip2.models.Country]
        if "City" in database_type:
            lookup = self._reader.city
        elif "Country" in database_type:
            lookup = self._reader.country
        else:
            self._reader.close()
            raise ValueError(f"not a country or city database: {database_type}")
        self._lookup = lookup

    def country(self, ip: str) -> str | None:
        """ISO code of ``ip``'s country; None when unknown or when ``ip`` is not an address.

        ``::ffff:a.b.c.d`` (what a dual-stack socket reports for IPv4 peers) is looked up as
        ``a.b.c.d``: not every database aliases the mapped range to its IPv4 data.
        """
        try:
            address = ipaddress.ip_address(ip)
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
                address = address.ipv4_mapped
            code = self._lookup(address).country.iso_code
        except (geoip2.errors.AddressNotFoundError, ValueError):
            return None
        return code.upper() if code else None

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> MaxMindGeo:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_geo(path: str | None) -> ClosableGeoLookup:
    """``MaxMindGeo`` for a path, ``NullGeo`` when none is configured."""
    return MaxMindGeo(path) if path else NullGeo()
