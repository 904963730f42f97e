"""``completion/complete``: a prompt's ``chat`` and the chat resource's ``peer``, from the person's dialogs.

Typing narrows the list: the text typed so far must appear in a dialog's title or
@username (``TelegramAccount.dialogs`` with a query; no query lists the newest). A
prompt gets ``Title (peer)`` choices (``prompts.chat_choice``), which read well and
parse back; the resource template gets bare peers, which fit in its URI. An anonymous
caller, a token without ``telegram:dialogs:read`` or a person without a connected
account gets no suggestions at all (``reader.account_or_none``). Registering the
handler is what declares the ``completions`` capability.
"""

from __future__ import annotations

from typing import Any, Final

from mcp.server.mcpserver import MCPServer
from mcp_types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)

from mctltg.errors import MctltgError
from mctltg.oauth.scopes import DIALOGS_READ
from mctltg.tools.context import ToolDeps
from mctltg.tools.prompts import CHAT_ARGUMENT, PROMPTS, chat_choice
from mctltg.tools.reader import account_or_none
from mctltg.tools.resources import CHAT_TEMPLATE

__all__ = ["SUGGESTIONS", "install_completion"]

SUGGESTIONS: Final = 20
_TYPED_MAX: Final = 64


def install_completion(server: MCPServer[Any], deps: ToolDeps) -> None:
    """Answer ``completion/complete`` for the chat arguments of the prompts and the resource."""

    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        for_prompt = (
            isinstance(ref, PromptReference) and ref.name in PROMPTS and argument.name == CHAT_ARGUMENT
        )
        for_resource = (
            isinstance(ref, ResourceTemplateReference)
            and ref.uri == CHAT_TEMPLATE
            and argument.name == "peer"
        )
        if not (for_prompt or for_resource):
            return None
        account = await account_or_none(deps, DIALOGS_READ)
        if account is None:
            return None
        typed = " ".join(argument.value.split()).lstrip("@")[:_TYPED_MAX]
        try:
            dialogs = await account.dialogs(SUGGESTIONS + 1, query=typed or None)
        except MctltgError:
            return None
        shown = dialogs[:SUGGESTIONS]
        values = [chat_choice(d.title, d.peer) if for_prompt else d.peer for d in shown]
        return Completion(values=values, has_more=len(dialogs) > SUGGESTIONS)

    # The SDK's decorator factory is unannotated; the handler it wraps is typed above.
    register = server.completion()  # type: ignore[no-untyped-call]
    register(complete)
