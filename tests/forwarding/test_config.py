"""Forwarding timing from GATEWAY_FORWARD_* settings: parsed, bounded, passed to every worker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.cli import _export_settings
from gateway.forwarding.config import ForwardingConfig
from gateway.settings import Settings, SettingsError

SECRETS = {"GATEWAY_SECRET_KEYS": "k" * 20, "GATEWAY_ADMIN_TOKEN": "a" * 20}


def build(tmp_path: Path, **env: str) -> Settings:
    return Settings.build({**SECRETS, **env}, db=f"sqlite:///{tmp_path}/g.db")


@pytest.mark.parametrize(
    ("env", "timing"),
    [
        # (timeout, backoff_max, batch_size, poll_interval, lease_seconds, shutdown_grace)
        ({}, (5.0, 300.0, 50, 1.0, 35.0, 10.0)),
        ({"GATEWAY_FORWARD_TIMEOUT": "20"}, (20.0, 300.0, 50, 1.0, 50.0, 25.0)),
        ({"GATEWAY_FORWARD_TIMEOUT": " 0.5 "}, (0.5, 300.0, 50, 1.0, 30.5, 5.5)),
        ({"GATEWAY_FORWARD_BACKOFF_MAX": "3600"}, (5.0, 3600.0, 50, 1.0, 35.0, 10.0)),
        ({"GATEWAY_FORWARD_BACKOFF_MAX": "1"}, (5.0, 1.0, 50, 1.0, 35.0, 10.0)),
        ({"GATEWAY_FORWARD_BATCH": "1"}, (5.0, 300.0, 1, 1.0, 35.0, 10.0)),
        ({"GATEWAY_FORWARD_BATCH": "20"}, (5.0, 300.0, 20, 1.0, 35.0, 10.0)),
        ({"GATEWAY_FORWARD_POLL": "10"}, (5.0, 300.0, 50, 10.0, 35.0, 10.0)),
        ({"GATEWAY_FORWARD_POLL": ""}, (5.0, 300.0, 50, 1.0, 35.0, 10.0)),  # empty: default
    ],
)
def test_timing_settings_reach_the_forwarder(
    tmp_path: Path, env: dict[str, str], timing: tuple[float, float, int, float, float, float]
) -> None:
    """The lease and the shutdown wait follow the time limit, so a slow post is never claimed
    by a second process meanwhile nor cut off by a clean shutdown."""
    config = ForwardingConfig.from_settings(build(tmp_path, **env))
    assert (
        config.timeout,
        config.backoff_max,
        config.batch_size,
        config.poll_interval,
        config.lease_seconds,
        config.shutdown_grace,
    ) == timing
    assert config.backoff_base == 1.0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "GATEWAY_FORWARD_TIMEOUT",
            "5s",
            "GATEWAY_FORWARD_TIMEOUT: '5s' is not a number of seconds",
        ),
        ("GATEWAY_FORWARD_TIMEOUT", "0", "GATEWAY_FORWARD_TIMEOUT: 0 is outside 0.5..300 seconds"),
        ("GATEWAY_FORWARD_TIMEOUT", "301", "outside 0.5..300 seconds"),
        ("GATEWAY_FORWARD_TIMEOUT", "nan", "GATEWAY_FORWARD_TIMEOUT: nan is outside"),
        ("GATEWAY_FORWARD_TIMEOUT", "inf", "GATEWAY_FORWARD_TIMEOUT: inf is outside"),
        (
            "GATEWAY_FORWARD_BACKOFF_MAX",
            "0.5",
            "GATEWAY_FORWARD_BACKOFF_MAX: 0.5 is outside 1..86400",
        ),
        ("GATEWAY_FORWARD_BACKOFF_MAX", "86401", "outside 1..86400 seconds"),
        ("GATEWAY_FORWARD_BACKOFF_MAX", "5 min", "'5 min' is not a number of seconds"),
        ("GATEWAY_FORWARD_BATCH", "0", "GATEWAY_FORWARD_BATCH: 0 is outside 1..50"),
        ("GATEWAY_FORWARD_BATCH", "51", "GATEWAY_FORWARD_BATCH: 51 is outside 1..50"),
        ("GATEWAY_FORWARD_BATCH", "10.5", "GATEWAY_FORWARD_BATCH: '10.5' is not a whole number"),
        ("GATEWAY_FORWARD_POLL", "0.05", "GATEWAY_FORWARD_POLL: 0.05 is outside 0.1..60"),
        ("GATEWAY_FORWARD_POLL", "-1", "GATEWAY_FORWARD_POLL: -1 is outside"),
    ],
)
def test_bad_timing_names_the_setting_and_its_limits(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        build(tmp_path, **{name: value})
    assert message in str(raised.value)


def test_worker_processes_get_the_same_forwarding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve --workers N`` hands the resolved settings to each worker through its
    environment; the upstream given as a flag and the timing must survive that."""
    # the process environment the workers would inherit, replaced for this test only
    monkeypatch.setattr(os, "environ", {"GATEWAY_UPSTREAM_TOKEN": "upstream-token"})
    environ = {
        **SECRETS,
        "GATEWAY_UPSTREAM_TOKEN": "upstream-token",
        "GATEWAY_FORWARD_TIMEOUT": "12.5",
        "GATEWAY_FORWARD_BACKOFF_MAX": "900",
        "GATEWAY_FORWARD_BATCH": "25",
        "GATEWAY_FORWARD_POLL": "0.5",
    }
    parent = Settings.build(
        environ, db=f"sqlite:///{tmp_path}/g.db", upstream="https://matomo.example/matomo.php"
    )
    _export_settings(parent)
    worker = Settings.build(os.environ)
    assert ForwardingConfig.from_settings(worker) == ForwardingConfig.from_settings(parent)
    assert ForwardingConfig.from_settings(worker).url == "https://matomo.example/matomo.php"
