"""``list_topics``, ``list_folders`` and ``list_dialogs``'s forum mark, folders and cursor,
over real Telethon and the sandbox."""

from __future__ import annotations

from mctltg.app import Services
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.mcp_client import call, error_of, tools_for

GET_DIALOGS = "messages.GetDialogsRequest"


async def test_list_dialogs_marks_only_forums_and_its_first_page_stays_one_rpc(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with tools_for(services, demo.me) as client:
        await call(client, "list_dialogs", {"limit": 1})  # warm up: connection and entities
        mark = world.mark()
        result = await call(client, "list_dialogs", {})
        calls = world.calls_since(mark, user_id=demo.me)
    forum = [d for d in result["dialogs"] if d.get("forum")]
    assert [d["peer"] for d in forum] == [f"channel:{demo.forum}"]
    assert all("forum" not in d for d in result["dialogs"] if d["peer"] != f"channel:{demo.forum}")
    assert calls == [GET_DIALOGS]
    assert "next_cursor" not in result  # the whole list fitted: that is the end
    assert f"channel:{demo.archived}" not in {d["peer"] for d in result["dialogs"]}


async def test_list_topics_gives_titles_and_unread_counts_and_filters_by_title(
    services: Services, demo: DemoWorld
) -> None:
    async with tools_for(services, demo.me) as client:
        every = await call(client, "list_topics", {"peer": f"channel:{demo.forum}"})
        gears = await call(client, "list_topics", {"peer": f"channel:{demo.forum}", "query": "gear"})
    topics = {t["title"]: t for t in every["topics"]}
    assert every["title"] == "Engine Makers"
    assert set(topics) == {"General", "Gears", "Announcements", "Minutes 1843"}
    unread = {title: t["unread_count"] for title, t in topics.items()}
    assert unread == {"General": 1, "Gears": 2, "Announcements": 1, "Minutes 1843": 0}
    assert topics["Minutes 1843"]["closed"] is True
    assert every["topics"][0]["title"] == "General"  # the newest activity comes first
    assert every["total"] == 4
    assert [t["title"] for t in gears["topics"]] == ["Gears"]
    assert gears["topics"][0]["id"] == demo.topics[0]


async def test_list_topics_on_a_chat_without_topics_is_one_clear_sentence(
    services: Services, demo: DemoWorld
) -> None:
    async with tools_for(services, demo.me) as client:
        error = await error_of(client, "list_topics", {"peer": f"channel:{demo.supergroup}"})
    assert error["message"] == "This chat is not a forum, so it has no topics; leave out topic_id."


async def test_list_folders_lists_the_persons_chat_folders(services: Services, demo: DemoWorld) -> None:
    async with tools_for(services, demo.me) as client:
        result = await call(client, "list_folders", {})
    work, people = result["folders"]
    assert (work["id"], work["title"]) == (demo.folders[0], "Work")
    assert work["chats"] == [f"chat:{demo.group}", f"channel:{demo.channel}", f"channel:{demo.forum}"]
    assert "kinds" not in work
    assert (people["title"], people["kinds"]) == ("People", ["contacts"])


async def test_list_dialogs_lists_a_folder_and_the_archive(services: Services, demo: DemoWorld) -> None:
    async with tools_for(services, demo.me) as client:
        work = await call(client, "list_dialogs", {"folder": str(demo.folders[0])})
        people = await call(client, "list_dialogs", {"folder": str(demo.folders[1])})
        archived = await call(client, "list_dialogs", {"folder": "archived"})
        missing = await error_of(client, "list_dialogs", {"folder": "77"})
        nonsense = await error_of(client, "list_dialogs", {"folder": "starred"})
    assert {d["peer"] for d in work["dialogs"]} == {
        f"chat:{demo.group}",
        f"channel:{demo.channel}",
        f"channel:{demo.forum}",
    }
    # the contacts, and not Saved Messages: you are not your own contact
    assert {d["peer"] for d in people["dialogs"]} == {f"user:{c}" for c in demo.contacts}
    assert [d["title"] for d in archived["dialogs"]] == ["Royal Institution Archive"]
    assert "next_cursor" not in archived
    assert "list_folders" in missing["message"]
    assert "'archived' or a folder id from list_folders" in nonsense["message"]


async def test_list_dialogs_cursor_pages_through_every_chat_once_and_then_ends(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with tools_for(services, demo.me) as client:
        everything = await call(client, "list_dialogs", {"limit": 100})
        pages: list[dict[str, object]] = []
        arguments: dict[str, object] = {"limit": 4}
        while True:
            page = await call(client, "list_dialogs", arguments)
            pages.append(page)
            if "next_cursor" not in page:
                break
            arguments = {"limit": 4, "cursor": page["next_cursor"]}
            assert len(pages) < 10
        bad = await error_of(client, "list_dialogs", {"cursor": "not-a-cursor"})
    walked = [d["peer"] for page in pages for d in page["dialogs"]]  # type: ignore[attr-defined]
    assert walked == [d["peer"] for d in everything["dialogs"]]
    assert len(walked) == 10
    assert "pass next_cursor exactly as returned" in bad["message"]
