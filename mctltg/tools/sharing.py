"""``set_shared_chats``: an assistant narrows the chats it sees, and reads the rule in effect.

The rule is enforced below the tools (``telegram/sharing.py``); this tool only changes it,
and only inward: ``accounts/sharing.py`` refuses a rule that would share anything the
current one does not, since an assistant able to widen its own view would make the rule
pointless. Widening is the person's, on the manage page. Called with no argument, the
tool changes nothing and reports the rule.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from mctltg.accounts import SharingRule
from mctltg.errors import InvalidInput
from mctltg.oauth.scopes import ACCOUNT_MANAGE
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import LOCAL_WRITE, tool

__all__ = ["SharingOut", "render_rule", "set_shared_chats"]


class SharingOut(BaseModel):
    everything: bool
    chats: list[str]
    folders: list[int]
    excluded: list[str]
    summary: str


def render_rule(rule: SharingRule) -> dict[str, Any]:
    return {
        "everything": rule.everything,
        "chats": sorted(rule.chats),
        "folders": sorted(rule.folders),
        "excluded": sorted(rule.excluded),
        "summary": rule.describe(),
    }


def _list(value: object, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(field, "must be a list")
    return value


@tool(ACCOUNT_MANAGE, title="Narrow the chats I share", hints=LOCAL_WRITE, output=SharingOut)
async def set_shared_chats(
    ctx: ToolContext,
    chats: Annotated[list[str] | None, Field(description="share only these peer ids")] = None,
    folders: Annotated[list[int] | None, Field(description="and these folder ids")] = None,
    exclude: Annotated[list[str] | None, Field(description="never these peer ids")] = None,
) -> dict[str, Any]:
    """Narrow the chats assistants see (widening is on the manage page); no argument: show the rule."""
    account = await ctx.account()
    current = account.sharing
    chosen, picked, excluded = _list(chats, "chats"), _list(folders, "folders"), _list(exclude, "exclude")
    if not (chosen or picked or excluded):
        return render_rule(current)
    if chosen or picked:
        rule = SharingRule.only(chosen, picked, [*excluded, *current.excluded])
    elif current.everything:
        rule = SharingRule.all_but([*excluded, *current.excluded])
    else:
        rule = SharingRule.only(current.chats, current.folders, [*excluded, *current.excluded])
    changed = await ctx.deps.directory.set_sharing(
        ctx.identity_id, rule, may_widen=False, account=ctx.account_choice
    )
    return render_rule(changed)
