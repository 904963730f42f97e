"""Parsers read what an operator writes and say in one sentence what is wrong with the rest."""

from __future__ import annotations

import ipaddress

import pytest

from mctltg.config.parsers import (
    Secret,
    is_loopback_host,
    parse_bool,
    parse_cidr_list,
    parse_duration,
    parse_expiry,
    parse_host_list,
    parse_id_list,
    parse_proxy,
    split_host_port,
)


@pytest.mark.parametrize(
    ("raw", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172800), ("45", 45)]
)
def test_a_duration_reads_its_unit(raw: str, seconds: float) -> None:
    assert parse_duration(cap_hours=48)(raw) == seconds


def test_a_duration_over_its_cap_says_the_cap() -> None:
    with pytest.raises(ValueError, match="at most 24h"):
        parse_duration(cap_hours=24)("25h")
    with pytest.raises(ValueError, match="such as 90s"):
        parse_duration(cap_hours=24)("soon")


def test_an_expiry_can_be_off_but_not_shorter_than_a_minute() -> None:
    assert parse_expiry("off") is None
    assert parse_expiry("30d") == 30 * 86400
    with pytest.raises(ValueError, match="at least 60 seconds"):
        parse_expiry("30s")


@pytest.mark.parametrize(("raw", "value"), [("TRUE", True), (" yes ", True), ("0", False), ("", False)])
def test_booleans_read_the_usual_spellings(raw: str, value: bool) -> None:
    assert parse_bool(raw) is value


def test_a_boolean_that_is_neither_says_so() -> None:
    with pytest.raises(ValueError, match="true or false"):
        parse_bool("maybe")


def test_host_and_port_split_ipv6_brackets_and_refuse_a_bad_port() -> None:
    assert split_host_port("[::1]:8080") == ("::1", 8080)
    assert split_host_port("localhost:0") == ("localhost", 0)
    with pytest.raises(ValueError, match="between 0 and 65535"):
        split_host_port("127.0.0.1:70000")
    with pytest.raises(ValueError, match="host:port"):
        split_host_port(":9090")


def test_loopback_hosts_are_only_this_machine() -> None:
    assert is_loopback_host("localhost")
    assert is_loopback_host("::1")
    assert is_loopback_host("127.0.0.2")
    assert not is_loopback_host("0.0.0.0")
    assert not is_loopback_host("example.com")


def test_lists_skip_blanks_and_name_the_bad_item() -> None:
    assert parse_id_list("1, 2;3,,") == frozenset({1, 2, 3})
    assert parse_host_list("Claude.ai, chatgpt.com") == frozenset({"claude.ai", "chatgpt.com"})
    with pytest.raises(ValueError, match="'bob' is not one"):
        parse_id_list("1,bob")
    with pytest.raises(ValueError, match="no scheme"):
        parse_host_list("https://claude.ai")


def test_a_network_with_host_bits_is_refused() -> None:
    assert parse_cidr_list("10.0.0.0/8") == (ipaddress.ip_network("10.0.0.0/8"),)
    with pytest.raises(ValueError, match="host bits must be zero"):
        parse_cidr_list("10.0.0.1/8")


def test_a_proxy_url_is_a_secret_that_never_shows() -> None:
    proxy = parse_proxy("socks5://user:hunter2@127.0.0.1:1080")
    assert isinstance(proxy, Secret)
    assert "hunter2" not in repr(proxy) + str(proxy)
    with pytest.raises(ValueError, match="needs its secret"):
        parse_proxy("mtproxy://127.0.0.1:443")
