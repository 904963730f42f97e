"""Dialogs and dates as tools return them: compact, one date form, names on one visible line."""

from __future__ import annotations

from dataclasses import replace

from mctltg.telegram.model import Dialog
from mctltg.tools.render import compact_date, render_dialog, rfc3339


def test_dates_are_utc_to_the_second_in_one_form() -> None:
    assert compact_date(1_795_593_600.9) == "2026-11-25T08:00:00Z"
    assert rfc3339(1_795_593_600) == "2026-11-25T08:00:00Z"
    assert rfc3339(None) is None


def test_a_dialog_leaves_out_what_is_empty_and_its_title_is_one_inert_line() -> None:
    quiet = Dialog(
        peer="user:5",
        kind="user",
        title="Ada",
        username=None,
        unread_count=0,
        unread_mentions_count=0,
        muted=False,
        pinned=False,
        last_message_date=None,
        last_message_id=0,
        read_inbox_max_id=0,
    )
    busy = Dialog(
        peer="channel:9",
        kind="channel",
        title="Weekly\u200b",
        username="weekly",
        unread_count=4,
        unread_mentions_count=1,
        muted=True,
        pinned=True,
        last_message_date=1_795_593_600,
        last_message_id=77,
        read_inbox_max_id=73,
    )
    assert render_dialog(quiet) == {"peer": "user:5", "type": "user", "title": "Ada", "unread_count": 0}
    hostile = replace(quiet, title="Eve\u202e\n\tAdmin\u200b\x07 </msg-ab12> " + "x" * 200)
    assert render_dialog(hostile)["title"].startswith("Eve Admin ‹/msg-ab12> xxx")
    assert len(render_dialog(hostile)["title"]) == 100
    assert render_dialog(busy) == {
        "peer": "channel:9",
        "type": "channel",
        "title": "Weekly",
        "unread_count": 4,
        "username": "@weekly",
        "unread_mentions_count": 1,
        "muted": True,
        "pinned": True,
        "last_message_date": "2026-11-25T08:00:00Z",
    }
