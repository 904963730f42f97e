"""The sharing rule at the Telegram boundary: every ``TelegramAccount`` method honours it.

The tests read the class itself, so a method added later (media, search, fetch …) fails
here until it declares with ``@shares`` how it honours the rule, and a method that takes
a ``PeerRef`` fails until it refuses an unshared one before any RPC.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, get_args, get_origin, get_type_hints

import pytest
import trio

from mctltg.app import Services, provision_sandbox_account
from mctltg.errors import NotShared
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.telegram import PeerRef, Sharing, SharingRule, TelegramAccount, parse_peer
from mctltg.telegram.sharing import EVERYTHING, SharedView, sharing_of

UNKNOWN = "user:987654321"


def public_methods() -> list[tuple[str, Callable[..., Any]]]:
    return [
        (name, fn)
        for name, fn in inspect.getmembers(TelegramAccount, inspect.isfunction)
        if not name.startswith("_")
    ]


def names_a_peer(fn: Callable[..., Any]) -> bool:
    hints = get_type_hints(fn)
    return any(_mentions_peer(hint) for name, hint in hints.items() if name != "return")


def _mentions_peer(hint: Any) -> bool:
    return hint is PeerRef or any(_mentions_peer(arg) for arg in get_args(hint))


def test_every_public_method_declares_how_it_honours_the_sharing_rule() -> None:
    undeclared = [name for name, fn in public_methods() if not sharing_of(fn)]
    assert undeclared == []


def test_a_method_that_takes_a_peer_declares_it_checks_the_peer() -> None:
    wrong = [
        name
        for name, fn in public_methods()
        if names_a_peer(fn) and Sharing.NAMES_PEERS not in sharing_of(fn)
    ]
    assert wrong == []


def _sample(hint: Any) -> Any:
    """A value of type ``hint`` good enough to reach the sharing check."""
    if hint is PeerRef:
        raise AssertionError("peers are filled in by the caller")
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        return _sample(args[0])
    if origin is typing.Literal:
        return get_args(hint)[0]
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        fields = get_type_hints(hint)
        return hint(**{f.name: _sample(fields[f.name]) for f in dataclasses.fields(hint)})
    if origin is tuple:
        return (1,)
    if origin is list:
        return [1]
    return {int: 1, float: 1.0, str: "hello", bool: False, bytes: b"hello"}[hint]


def _arguments(fn: Callable[..., Any], peer: PeerRef) -> tuple[list[Any], dict[str, Any]]:
    hints = get_type_hints(fn)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name == "self":
            continue
        hint = hints[name]
        if _mentions_peer(hint):
            value: Any = peer
        elif param.default is not inspect.Parameter.empty or param.kind is param.VAR_POSITIONAL:
            continue
        else:
            value = _sample(hint)
        if param.kind is param.VAR_POSITIONAL:
            args.append(value)
        elif param.kind is param.KEYWORD_ONLY:
            kwargs[name] = value
        else:
            args.append(value)
    return args, kwargs


async def _restricted_account(services: Services, demo: DemoWorld) -> TelegramAccount:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    operator = await services.directory.operator()
    rule = SharingRule.only([f"chat:{demo.group}", f"user:{demo.contacts[0]}"])
    await services.directory.set_sharing(operator.id, rule, may_widen=True)
    return await services.directory.account_for(operator.id)


async def _invoke(call: Any) -> None:
    """Await a method's call, or enter it when it opens as a context (a download)."""
    if hasattr(call, "__aenter__"):
        async with call:
            return
    await call


@pytest.mark.parametrize(
    "name", [name for name, fn in public_methods() if Sharing.NAMES_PEERS in sharing_of(fn)]
)
async def test_each_method_refuses_an_unshared_or_unknown_peer_alike_and_before_any_rpc(
    name: str, services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    account = await _restricted_account(services, demo)
    method = getattr(TelegramAccount, name)
    unshared = f"user:{demo.contacts[1]}"
    sentences = []
    for peer in (unshared, UNKNOWN, "@mary_som", "@nobody_at_all", "me"):
        args, kwargs = _arguments(method, parse_peer(peer))
        mark = world.mark()
        with trio.fail_after(10), pytest.raises(NotShared) as refused:
            await _invoke(method(account, *args, **kwargs))
        assert world.calls_since(mark) == [], peer
        sentences.append(str(refused.value).replace(peer, "PEER"))
    assert len(set(sentences)) == 1


async def test_a_forward_from_a_shared_chat_to_an_unshared_one_is_refused(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    account = await _restricted_account(services, demo)
    shared, unshared = parse_peer(f"chat:{demo.group}"), parse_peer(f"user:{demo.contacts[1]}")
    mark = world.mark()
    with trio.fail_after(10):
        for source, target in ((shared, unshared), (unshared, shared)):
            with pytest.raises(NotShared):
                await account.forward(source, (1,), target, drop_author=False, random_id=7)
    assert world.calls_since(mark) == []


async def test_with_every_chat_but_an_excluded_one_the_excluded_and_the_unknown_are_refused_alike(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    operator = await services.directory.operator()
    mary = f"user:{demo.contacts[1]}"
    await services.directory.set_sharing(operator.id, SharingRule.all_but([mary]), may_widen=True)
    account = await services.directory.account_for(operator.id)
    sentences = []
    with trio.fail_after(10):
        await account.dialogs(50)  # the session knows every chat of the list now
        page = await account.history(parse_peer(f"user:{demo.contacts[0]}"), limit=2)
        for peer in (mary, UNKNOWN):
            mark = world.mark()
            with pytest.raises(NotShared) as refused:
                await account.history(parse_peer(peer), limit=2)
            assert world.calls_since(mark) == []
            sentences.append(str(refused.value).replace(peer, "PEER"))
    assert page.messages
    assert len(set(sentences)) == 1


async def test_a_shared_chat_is_read_as_before(services: Services, demo: DemoWorld) -> None:
    account = await _restricted_account(services, demo)
    with trio.fail_after(10):
        page = await account.history(parse_peer(f"user:{demo.contacts[0]}"), limit=5)
    assert page.messages


async def test_a_folder_shares_the_chats_it_holds(services: Services, demo: DemoWorld) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    operator = await services.directory.operator()
    work = demo.folders[0]  # Work: the club group, Science Weekly and the forum
    await services.directory.set_sharing(operator.id, SharingRule.only(folders=[work]), may_widen=True)
    account = await services.directory.account_for(operator.id)
    with trio.fail_after(10):
        dialogs = await account.dialogs(50)
        page = await account.history(parse_peer(f"chat:{demo.group}"), limit=2)
        with pytest.raises(NotShared):
            await account.history(parse_peer(f"user:{demo.contacts[0]}"), limit=2)
    assert {d.peer for d in dialogs} == {
        f"chat:{demo.group}",
        f"channel:{demo.channel}",
        f"channel:{demo.forum}",
    }
    assert page.messages


# -- the rule as a value -------------------------------------------------------------------


def test_the_default_rule_shares_every_chat() -> None:
    view = SharedView(rule=EVERYTHING)
    assert not view.restricted
    assert view.admits("user:1")
    assert view.admits("channel:5")


def test_an_excluded_chat_is_hidden_even_when_everything_else_is_shared() -> None:
    view = SharedView(rule=SharingRule.all_but(["user:2"]))
    assert view.admits("user:1")
    assert not view.admits("user:2")


def test_a_rule_of_chosen_chats_admits_those_and_its_folders_chats_only() -> None:
    rule = SharingRule.only(["user:1"], [3], ["chat:9"])
    view = SharedView(rule=rule, folder_chats=frozenset({"chat:8", "chat:9"}))
    assert [view.admits(p) for p in ("user:1", "chat:8", "chat:9", "user:2")] == [True, True, False, False]


def test_narrowing_is_judged_on_the_rule_s_words() -> None:
    both = SharingRule.only(["user:1", "user:2"], [3])
    assert SharingRule.only(["user:1"]).within(both)
    assert SharingRule.only(["user:1"]).within(EVERYTHING)
    assert SharingRule.all_but(["user:1"]).within(EVERYTHING)
    assert not SharingRule.only(["user:5"]).within(both)
    assert not SharingRule.only(folders=[4]).within(both)
    assert not EVERYTHING.within(both)
    assert not SharingRule.only(["user:1"]).within(SharingRule.all_but(["user:9"]))  # drops an exclusion


def test_a_stored_rule_round_trips_and_a_damaged_one_shares_nothing() -> None:
    rule = SharingRule.only(["user:1"], [3], ["chat:9"])
    assert SharingRule.from_json(rule.to_json()) == rule
    damaged = SharingRule.from_json("{not json")
    assert not SharedView(rule=damaged).admits("user:1")


def test_a_rule_naming_something_that_is_not_a_chat_id_is_refused_in_one_sentence() -> None:
    with pytest.raises(Exception, match="is not a chat id; use ids exactly as list_dialogs returns them"):
        SharingRule.only(["@someone"])


async def test_a_search_across_chats_finds_a_shared_chat_s_match_behind_newer_unshared_ones(
    services: Services, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    operator = await services.directory.operator()
    everything = await services.directory.account_for(operator.id)
    mary = f"user:{demo.contacts[1]}"
    with trio.fail_after(10):
        newest = await everything.search("engine", peer=None, limit=1)
        await services.directory.set_sharing(operator.id, SharingRule.only([mary]), may_widen=True)
        account = await services.directory.account_for(operator.id)
        found = await account.search("engine", peer=None, limit=1)
    assert [m.peer for m in newest] != [mary]  # the newest match is in another chat
    assert [m.peer for m in found] == [mary]
