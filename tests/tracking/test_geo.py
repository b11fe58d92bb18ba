"""Country lookup over a tiny MaxMind-format database built at test time.

The networks are documentation ranges (RFC 5737 203.0.113.0/24, RFC 3849 2001:db8::/32), so
the fixture can never be mistaken for real geolocation data.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from gateway.tracking.geo import GeoLookup, MaxMindGeo, NullGeo, open_geo

GERMANY = {
    "country": {"iso_code": "DE", "names": {"en": "Germany"}, "is_in_european_union": True},
    "continent": {"code": "EU", "names": {"en": "Europe"}},
}
FRANCE = {
    "country": {"iso_code": "FR", "names": {"en": "France"}, "is_in_european_union": True},
    "continent": {"code": "EU", "names": {"en": "Europe"}},
}


def build_mmdb(path: Path, database_type: str) -> Path:
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type=database_type,
        languages=["en"],
        description="gateway test fixture",
    )
    writer.insert_network(IPSet(["203.0.113.0/24"]), GERMANY)
    writer.insert_network(IPSet(["2001:db8::/32"]), FRANCE)
    writer.insert_network(IPSet(["198.51.100.0/24"]), {"continent": {"code": "EU"}})
    writer.to_db_file(str(path))
    return path


@pytest.fixture(scope="module")
def country_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_mmdb(tmp_path_factory.mktemp("geo") / "country.mmdb", "GeoLite2-Country")


@pytest.fixture(scope="module")
def city_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_mmdb(tmp_path_factory.mktemp("geo") / "city.mmdb", "GeoLite2-City")


LOOKUPS = [
    pytest.param("203.0.113.7", "DE", id="IPv4 in range"),
    pytest.param("203.0.113.255", "DE", id="IPv4 range end"),
    pytest.param("2001:db8::1", "FR", id="IPv6 in range"),
    pytest.param("2001:db8:ffff::42", "FR", id="IPv6 deep in range"),
    pytest.param("::ffff:203.0.113.7", "DE", id="IPv4-mapped IPv6 is looked up as IPv4"),
    pytest.param("fe80::1%eth0", None, id="link-local with a zone"),
    pytest.param("198.51.100.1", None, id="record without a country"),
    pytest.param("192.0.2.1", None, id="unknown IPv4"),
    pytest.param("127.0.0.1", None, id="loopback"),
    pytest.param("2001:db9::1", None, id="unknown IPv6"),
    pytest.param("not-an-ip", None, id="garbage"),
    pytest.param("", None, id="empty"),
    pytest.param("203.0.113.7:443", None, id="with a port"),
    pytest.param("203.0.113.0/24", None, id="a network"),
    pytest.param("999.1.1.1", None, id="out of range octet"),
]


@pytest.mark.parametrize(("ip", "expected"), LOOKUPS)
def test_country_database(country_db: Path, ip: str, expected: str | None) -> None:
    with MaxMindGeo(str(country_db)) as geo:
        assert geo.country(ip) == expected


@pytest.mark.parametrize(("ip", "expected"), LOOKUPS)
def test_city_database_gives_countries_too(city_db: Path, ip: str, expected: str | None) -> None:
    with MaxMindGeo(str(city_db)) as geo:
        assert geo.country(ip) == expected


def test_a_database_without_countries_is_refused(tmp_path: Path) -> None:
    path = build_mmdb(tmp_path / "asn.mmdb", "GeoLite2-ASN")
    with pytest.raises(ValueError, match="not a country or city database"):
        MaxMindGeo(str(path))


def test_a_missing_database_fails_at_open(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        MaxMindGeo(str(tmp_path / "missing.mmdb"))


@pytest.mark.parametrize("ip", ["203.0.113.7", "2001:db8::1", "garbage"])
def test_null_geo_knows_nothing(ip: str) -> None:
    geo = NullGeo()
    assert geo.country(ip) is None
    geo.close()


def test_open_geo(country_db: Path) -> None:
    assert isinstance(open_geo(None), NullGeo)
    assert isinstance(open_geo(""), NullGeo)
    geo = open_geo(str(country_db))
    assert isinstance(geo, MaxMindGeo)
    assert geo.country("203.0.113.7") == "DE"
    geo.close()


def test_both_satisfy_the_protocol(country_db: Path) -> None:
    with MaxMindGeo(str(country_db)) as maxmind:
        lookups: list[GeoLookup] = [NullGeo(), maxmind]
        assert [lookup.country("2001:db8::1") for lookup in lookups] == [None, "FR"]
