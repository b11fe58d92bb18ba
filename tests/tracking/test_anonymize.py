"""IP truncation matches Matomo byte for byte.

The vectors are Matomo's own (matomo-org/component-network, tests/IPv4Test.php and
tests/IPv6Test.php ``getAddressesToAnonymize``): each row is an address and its expected value
at mask levels 0..4.
"""

from __future__ import annotations

import ipaddress

import pytest

from gateway.tracking.anonymize import truncate_ip

IPV4_VECTORS = [
    ("0.0.0.0", ["0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"]),
    ("0.0.0.1", ["0.0.0.1", "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"]),
    ("0.0.0.255", ["0.0.0.255", "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"]),
    ("0.0.1.0", ["0.0.1.0", "0.0.1.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"]),
    ("0.0.1.1", ["0.0.1.1", "0.0.1.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"]),
    ("0.0.255.255", ["0.0.255.255", "0.0.255.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"]),
    ("0.1.0.0", ["0.1.0.0", "0.1.0.0", "0.1.0.0", "0.0.0.0", "0.0.0.0"]),
    ("0.1.1.1", ["0.1.1.1", "0.1.1.0", "0.1.0.0", "0.0.0.0", "0.0.0.0"]),
    ("0.255.255.255", ["0.255.255.255", "0.255.255.0", "0.255.0.0", "0.0.0.0", "0.0.0.0"]),
    ("1.0.0.0", ["1.0.0.0", "1.0.0.0", "1.0.0.0", "1.0.0.0", "0.0.0.0"]),
    (
        "127.255.255.255",
        ["127.255.255.255", "127.255.255.0", "127.255.0.0", "127.0.0.0", "0.0.0.0"],
    ),
    ("128.0.0.0", ["128.0.0.0", "128.0.0.0", "128.0.0.0", "128.0.0.0", "0.0.0.0"]),
    (
        "255.255.255.255",
        ["255.255.255.255", "255.255.255.0", "255.255.0.0", "255.0.0.0", "0.0.0.0"],
    ),
]

IPV6_VECTORS = [
    (
        "2001:db8:0:8d3:0:8a2e:70:7344",
        ["2001:db8:0:8d3:0:8a2e:70:7344", "2001:db8:0:8d3::", "2001:db8::", "2001:d00::", "::"],
    ),
    (
        "2001:6f8:900:724::2",
        ["2001:6f8:900:724::2", "2001:6f8:900:724::", "2001:6f8:900::", "2001:600::", "::"],
    ),
]

# Matomo's tests assert the binary value; these hex strings are copied from IPv6Test.php.
IPV6_BINARY = [
    ("2001:db8:0:8d3:0:8a2e:70:7344", 1, "20010db8000008d30000000000000000"),
    ("2001:db8:0:8d3:0:8a2e:70:7344", 2, "20010db8000000000000000000000000"),
    ("2001:db8:0:8d3:0:8a2e:70:7344", 3, "20010d00000000000000000000000000"),
    ("2001:6f8:900:724::2", 1, "200106f8090007240000000000000000"),
    ("2001:6f8:900:724::2", 2, "200106f8090000000000000000000000"),
    ("2001:6f8:900:724::2", 3, "20010600000000000000000000000000"),
]


def cases(vectors: list[tuple[str, list[str]]]) -> list[tuple[str, int, str]]:
    return [(ip, level, expected[level]) for ip, expected in vectors for level in range(5)]


@pytest.mark.parametrize(("ip", "level", "expected"), cases(IPV4_VECTORS))
def test_ipv4_zeroes_the_last_bytes(ip: str, level: int, expected: str) -> None:
    assert truncate_ip(ip, level) == expected


@pytest.mark.parametrize(("ip", "_levels"), IPV4_VECTORS)
def test_ipv4_level_above_four_zeroes_everything(ip: str, _levels: list[str]) -> None:
    assert truncate_ip(ip, 5) == "0.0.0.0"


@pytest.mark.parametrize(("ip", "level", "expected"), cases(IPV6_VECTORS))
def test_ipv6_keeps_64_48_24_0_bits(ip: str, level: int, expected: str) -> None:
    assert truncate_ip(ip, level) == expected


@pytest.mark.parametrize(("ip", "level", "hex_value"), IPV6_BINARY)
def test_ipv6_binary_matches_matomo(ip: str, level: int, hex_value: str) -> None:
    assert ipaddress.ip_address(truncate_ip(ip, level)).packed.hex() == hex_value


@pytest.mark.parametrize(("ip", "level", "expected"), cases(IPV4_VECTORS))
def test_ipv4_mapped_is_truncated_bytewise_like_ipv4(ip: str, level: int, expected: str) -> None:
    assert truncate_ip(f"::ffff:{ip}", level) == f"::ffff:{expected}"


@pytest.mark.parametrize(("ip", "_levels"), IPV4_VECTORS)
def test_ipv4_mapped_level_five_reaches_into_the_prefix(ip: str, _levels: list[str]) -> None:
    # Matomo zeroes the last five of sixteen bytes: the second 0xff of the prefix too.
    assert ipaddress.ip_address(truncate_ip(f"::ffff:{ip}", 5)).packed.hex() == (
        "00" * 10 + "ff" + "00" * 5
    )


@pytest.mark.parametrize(
    ("ip", "level", "expected"),
    [
        ("::192.168.1.1", 1, "::192.168.1.0"),  # IPv4-compatible: byte-wise too
        ("::192.168.1.1", 2, "::192.168.0.0"),
        ("::1", 1, "::"),
        ("::", 2, "::"),
        # Not mapped (Matomo's IPv6Test::getMappedIPv4Data): bit masks apply.
        ("2001:5c0:1000:b::90f8", 1, "2001:5c0:1000:b::"),
        ("::ff00:c0a8:103", 1, "::"),
        ("::1:c0a8:104", 1, "::"),
        ("100::c0a8:105", 2, "100::"),
    ],
)
def test_mapped_and_not_mapped_edge_cases(ip: str, level: int, expected: str) -> None:
    assert truncate_ip(ip, level) == expected


@pytest.mark.parametrize("junk", ["", "not-an-ip", "1.2.3", "1.2.3.4:80", "<script>", "::ffff:1.2"])
def test_anything_unparsable_becomes_zero(junk: str) -> None:
    assert truncate_ip(junk, 2) == "0.0.0.0"
