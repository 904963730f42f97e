"""Dialog-list cursors: what one page ends with is exactly where the next one starts."""

from __future__ import annotations

import pytest

from mctltg.errors import InvalidInput
from mctltg.telegram.model import PeerRef
from mctltg.telegram.on_loop.folders import decode_cursor


def test_a_cursor_names_the_date_message_and_chat_to_page_after() -> None:
    assert decode_cursor("1714521600.42.channel:2003") == (1714521600, 42, PeerRef(kind="channel", id=2003))


@pytest.mark.parametrize("cursor", ["", "42", "1.2.group:3", "1.2.user:", "1.2.user:3; drop", "x.2.user:3"])
def test_anything_else_is_refused_with_one_sentence(cursor: str) -> None:
    with pytest.raises(InvalidInput, match="pass next_cursor exactly as returned"):
        decode_cursor(cursor)
