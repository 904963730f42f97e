"""Scope strings: unknown scopes dropped on the way in, a stable order on the way out."""

from __future__ import annotations

from mctltg.oauth.scopes import format_scope, parse_scope


def test_unknown_scopes_are_dropped_and_order_is_stable() -> None:
    assert parse_scope("offline_access telegram:messages:read telegram:dialogs:read") == {
        "telegram:dialogs:read",
        "telegram:messages:read",
    }
    assert parse_scope("openid") is None
    assert parse_scope(None) is None
    assert format_scope({"admin:users", "telegram:dialogs:read"}) == "telegram:dialogs:read admin:users"
