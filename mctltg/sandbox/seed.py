"""Deterministic demo data: Ada Lovelace's account, her chats, a group, a channel, a supergroup.

Everything is dated relative to ``clock_now`` over the last three days, so a demo always
looks fresh. The people are historical scientists; the texts are small talk about their
work and contain nothing sensitive. Phone numbers are in Telegram's reserved test range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mctltg.sandbox import media_samples as samples
from mctltg.sandbox.values import SandboxMedia

if TYPE_CHECKING:
    from collections.abc import Callable

    from mctltg.sandbox.world import SandboxWorld

__all__ = ["DemoWorld", "seed_demo_world"]

MINUTE = 60.0
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoWorld:
    """The ids and credentials of the seeded demo world."""

    me: int
    me_phone: str
    second: int
    second_phone: str
    second_password: str
    contacts: tuple[int, ...]
    group: int
    channel: int
    supergroup: int
    discussion: int = 0  # Science Weekly's comments supergroup (public; Ada is not a member)
    commented_post: int = 0  # the Science Weekly post with comments under it
    forum: int = 0
    topics: tuple[int, ...] = ()  # the forum's topics: Gears, Announcements, Minutes 1843 (closed)
    archived: int = 0  # a channel in Ada's archive
    folders: tuple[int, ...] = ()  # Ada's chat folders: Work, People
    # Media (issue 15). In Ada's chat with Katherine (``user:<photo_chat>``, Ada's ids):
    photo_chat: int = 0
    photo_message_id: int = 0  # 1600x1200 chalkboard photo, sizes s/m/x + progressive y
    pdf_message_id: int = 0  # trajectory-notes.pdf, a real one-page PDF
    # In the archived channel Royal Institution Archive (``channel:<media_channel>``, the
    # same as ``archived``); Ada and Grace are members, Grace has no Premium and no trials:
    media_channel: int = 0
    portrait_photo_message_id: int = 0  # 600x800 photo, sizes s/m + progressive x
    screenshot_message_id: int = 0  # engine-editor.png sent as a document (image/png)
    text_document_message_id: int = 0  # bernoulli.csv (text/csv)
    voice_message_id: int = 0  # a 7 s voice note with a waveform and a transcript
    video_note_message_id: int = 0  # a round video (transcribable)
    video_message_id: int = 0
    audio_message_id: int = 0
    animation_message_id: int = 0
    sticker_message_id: int = 0  # a static 512x512 WebP
    poll_message_id: int = 0
    location_message_id: int = 0
    contact_message_id: int = 0
    webpage_message_id: int = 0
    big_document_message_id: int = 0  # 20 MiB, bytes generated on demand
    huge_document_message_id: int = 0  # 50 MiB, bytes generated on demand
    big_photo_message_id: int = 0  # 2560x1920, its largest size about 5 MB


# (hours before now, sender, chat, text). Chats: "user:<name>" as seen by Ada, or a room.
_PRIVATE_SCRIPT: tuple[tuple[float, str, str, str], ...] = (
    (70.0, "charles", "charles", "Ada, I have finished the new drawings for the mill. Care to take a look?"),
    (69.5, "ada", "charles", "Gladly! Is the carriage mechanism the one we discussed on Tuesday?"),
    (69.2, "charles", "charles", "The very same, with the anticipating carriage added."),
    (52.0, "mary", "mary", "I read your notes on the engine. Note G is remarkable."),
    (51.0, "ada", "mary", "Thank you, Mary. Your encouragement means a great deal."),
    (50.0, "grace", "grace", "Found a moth in the relay again. Taping it into the logbook."),
    (49.5, "ada", "grace", "The first actual case of a bug being found!"),
    (49.0, "grace", "grace", "Exactly what I wrote next to it 😄"),
    (47.0, "alan", "alan", "Quick question: can your engine decide whether a given program halts?"),
    (46.5, "ada", "alan", "It can only do what we know how to order it to perform."),
    (46.0, "alan", "alan", "That is what I suspected. I will write it up properly."),
    (30.0, "kath", "kath", "Here are the trajectory notes from this morning's run."),
    (29.0, "ada", "kath", "Thank you! I will go through them tonight."),
    (
        26.0,
        "ada",
        "charles",
        "The drawings are beautiful. One question about the store: 1,000 numbers of 50 digits?",
    ),
    (25.5, "charles", "charles", "Yes, that is the plan. We may need more columns."),
    (20.0, "ada", "grace", "Are you joining the Math Circle call on Friday?"),
    (19.0, "grace", "grace", "Wouldn't miss it. I'll bring the compiler slides."),
    (6.0, "mary", "mary", "Are you free for tea on Thursday? I'd love to hear about the Bernoulli numbers."),
    (5.5, "mary", "mary", "Bring the diagram if you can."),
    (3.0, "kath", "kath", "And a photo of the chalkboard, before the cleaners get to it."),
    (2.0, "kath", "kath", "Let me know if the numbers check out on your side."),
    (1.0, "charles", "charles", "I'll bring the new gears to the club meeting tomorrow."),
)

_GROUP_SCRIPT: tuple[tuple[float, str, str], ...] = (
    (60.0, "charles", "Welcome to the Analytical Engine Club! Meetings are on Thursdays."),
    (59.0, "mary", "Happy to be here. Shall we start with the punched cards?"),
    (58.5, "ada", "Yes please. I can present how loops work with the cards."),
    (10.0, "alan", "I'd like to add a talk on computable numbers, if there is room."),
    (4.0, "charles", "@ada could you check the table of Bernoulli numbers before Thursday?"),
    (3.5, "mary", "Agreed, the table should be in the agenda."),
)

_CHANNEL_POSTS: tuple[tuple[float, str], ...] = (
    (71.0, "Welcome to Science Weekly: short notes from the lecture hall, every few days."),
    (48.0, "This week: electromagnetic induction explained with a coil and a magnet."),
    (24.0, "Reminder: the Friday lecture starts at 8 pm sharp. Doors open at 7:30."),
    (8.0, "Reader question: why does a candle flame point upwards? Full answer in the next issue."),
    (2.5, "Next issue is out on Monday, with the candle experiment step by step."),
)

_SUPERGROUP_SCRIPT: tuple[tuple[float, str, str], ...] = (
    (40.0, "grace", "Friday's problem: find all primes p such that p + 2 is also prime and below 100."),
    (39.0, "kath", "There are eight pairs, if I counted right."),
    (38.0, "ada", "I get eight as well: (3, 5) up to (71, 73)."),
    (12.0, "alan", "Hello everyone, glad to join."),
    (11.0, "grace", "Welcome Alan! Next week: the sieve of Eratosthenes."),
)


# Replies: (text prefix of the reply, text prefix of the message it answers).
_REPLIES: tuple[tuple[str, str], ...] = (
    ("@ada could you check", "Yes please. I can present"),
    ("Yes, that is the plan", "The drawings are beautiful"),
    ("I get eight as well", "There are eight pairs"),
)

# (hours before now, reader, chat as the reader sees it): who had read what, and when.
_READS: tuple[tuple[float, str, str], ...] = (
    (69.0, "ada", "charles"),
    (68.0, "charles", "ada"),
    (58.0, "charles", "group"),
    (57.0, "ada", "group"),
    (56.0, "mary", "group"),
    (51.2, "ada", "mary"),
    (50.8, "mary", "ada"),
    (48.9, "ada", "grace"),
    (48.8, "grace", "ada"),
    (47.0, "ada", "channel"),
    (45.9, "ada", "alan"),
    (45.8, "alan", "ada"),
    (37.0, "ada", "supergroup"),
    (36.0, "grace", "supergroup"),
    (26.5, "ada", "kath"),
    (26.0, "kath", "ada"),
    (25.0, "ada", "charles"),
    (24.9, "charles", "ada"),
    (18.5, "ada", "grace"),
    (18.0, "grace", "ada"),
)

_MEDIA_AFTER: dict[str, SandboxMedia] = {
    "Here are the trajectory notes": samples.pdf_document("trajectory-notes.pdf"),
    "And a photo of the chalkboard": samples.photo(1600, 1200, "chalkboard"),
}


def seed_demo_world(world: SandboxWorld, *, clock_now: float | None = None) -> DemoWorld:
    """Populate ``world`` with the demo account and its surroundings.

    Unread for Ada afterwards: Charles 1, Mary 2, Katherine 3 (with a photo), the club
    group 3 (one @mention that replies to her), Science Weekly 3 (one pinned), Math
    Circle 2 (muted, with a "joined" service message), the Engine Makers forum 4 (see
    ``_seed_forum_and_folders``). Grace and Alan are fully read.

    Args:
        world: A fresh world.
        clock_now: The "now" the history is dated against; defaults to the world's clock.
    """
    now = world.now() if clock_now is None else clock_now
    me_phone, second_phone, second_password = "+9996620001", "+9996620002", "sandbox-demo-2fa"
    people = (
        ("ada", "Ada", "Lovelace", "ada", me_phone),
        ("grace", "Grace", "Hopper", "grace_h", second_phone),
        ("charles", "Charles", "Babbage", "charles_b", "+9996620003"),
        ("mary", "Mary", "Somerville", "mary_som", "+9996620004"),
        ("alan", "Alan", "Turing", "alan_t", "+9996620005"),
        ("kath", "Katherine", "Johnson", "kjohnson", "+9996620006"),
        ("michael", "Michael", "Faraday", "faraday_lab", "+9996620007"),
    )
    ids = {
        key: world.add_user(
            first_name=first,
            last_name=last,
            username=username,
            phone=phone,
            password=second_password if key == "grace" else None,
        )
        for key, first, last, username, phone in people
    }
    ada = ids["ada"]
    contacts = tuple(ids[name] for name in ("charles", "mary", "grace", "alan", "kath"))
    for contact in contacts:
        world.add_contact(user_id=ada, contact=contact)
        world.add_contact(user_id=contact, contact=ada)

    def at(hours: float) -> float:
        return now - hours * HOUR

    group = world.create_group(
        title="Analytical Engine Club",
        creator=ids["charles"],
        members=[ada, ids["mary"], ids["alan"]],
        date=at(61),
    )
    channel = world.create_channel(
        title="Science Weekly",
        creator=ids["michael"],
        members=[ada, ids["mary"]],
        username="science_weekly",
        date=at(72),
    )
    supergroup = world.create_channel(
        title="Math Circle", creator=ids["grace"], members=[ada, ids["kath"]], megagroup=True, date=at(41)
    )
    rooms = {"group": f"chat:{group}", "channel": f"channel:{channel}", "supergroup": f"channel:{supergroup}"}
    world.allow_reactions(peer=rooms["supergroup"], emoji=("👍", "🎉"))

    # Every event as (date, order, action); sorting gives one chronological story.
    events: list[tuple[float, int, tuple[str, int, str, str]]] = []
    for hours, sender, chat, text in _PRIVATE_SCRIPT:
        peer = f"user:{ids[chat]}" if sender == "ada" else f"user:{ada}"
        events.append((at(hours), len(events), ("send", ids[sender], peer, text)))
    for room, script in (("group", _GROUP_SCRIPT), ("supergroup", _SUPERGROUP_SCRIPT)):
        events += [
            (at(h), len(events) + i, ("send", ids[s], rooms[room], t)) for i, (h, s, t) in enumerate(script)
        ]
    events += [
        (at(h), len(events) + i, ("send", ids["michael"], rooms["channel"], t))
        for i, (h, t) in enumerate(_CHANNEL_POSTS)
    ]
    for i, (hours, reader, chat) in enumerate(_READS):
        peer = rooms.get(chat) or f"user:{ids[chat]}"
        events.append((at(hours), 1000 + i, ("read", ids[reader], peer, "")))
    events.append((at(23), 2000, ("pin", ids["michael"], rooms["channel"], "Reminder: the Friday lecture")))
    events.sort(key=lambda event: (event[0], event[1]))

    for date, _, (kind, user_id, peer, text) in events:
        if kind == "read":
            world.read(user_id=user_id, peer=peer)
            continue
        if kind == "pin":
            target = next(m.id for m in world.history(viewer=user_id, peer=peer) if m.text.startswith(text))
            world.add_service(actor=user_id, peer=peer, action="pin", message_id=target, date=date)
            continue
        if text.startswith("Hello everyone, glad to join"):
            world.add_service(actor=user_id, peer=peer, action="join", date=date - MINUTE)
        world.send(
            sender=user_id,
            peer=peer,
            text=text,
            date=date,
            reply_to=_reply_target(world, user_id, peer, text),
        )
        for prefix, media in _MEDIA_AFTER.items():
            if text.startswith(prefix):
                world.send(sender=user_id, peer=peer, text="", date=date + MINUTE, media=media)

    world.send(
        sender=ada,
        peer=f"user:{ada}",
        text="Note to self: Bernoulli table, column 7 looks off.",
        date=at(0.5),
    )
    world.mute(user_id=ada, peer=rooms["supergroup"])
    discussion, commented = _profiles_and_comments(world, ids, channel, supergroup, at)
    world.put_draft(owner=ada, peer=f"user:{ids['mary']}", text="Dear Mary, about Note G:", date=at(1))
    forum, topics, archived, folders, media_ids = _seed_forum_and_folders(world, ids, rooms, at)
    # Each attachment follows its text at once, so it has the next id in Ada's box.
    after = {prefix: _find(world, ada, f"user:{ids['kath']}", prefix) + 1 for prefix in _MEDIA_AFTER}
    return DemoWorld(
        me=ada,
        me_phone=me_phone,
        second=ids["grace"],
        second_phone=second_phone,
        second_password=second_password,
        contacts=contacts,
        group=group,
        channel=channel,
        supergroup=supergroup,
        discussion=discussion,
        commented_post=commented,
        forum=forum,
        topics=topics,
        archived=archived,
        folders=folders,
        photo_chat=ids["kath"],
        photo_message_id=after["And a photo of the chalkboard"],
        pdf_message_id=after["Here are the trajectory notes"],
        media_channel=archived,
        **media_ids,
    )


def _find(world: SandboxWorld, viewer: int, peer: str, prefix: str) -> int:
    return next(m.id for m in world.history(viewer=viewer, peer=peer) if m.text.startswith(prefix))


_MIB = 1024 * 1024


def _media_posts() -> tuple[tuple[str, str, SandboxMedia], ...]:
    """(DemoWorld field, caption, attachment) for the archive channel, oldest first."""
    return (
        ("portrait_photo_message_id", "Portrait of the lecture theatre.", samples.photo(600, 800)),
        ("screenshot_message_id", "", samples.screenshot()),
        ("text_document_message_id", "The Bernoulli table, as promised.", samples.csv_document()),
        (
            "voice_message_id",
            "",
            samples.voice_note(7, "The coil experiment works: move the magnet and the needle jumps.", 15),
        ),
        (
            "video_note_message_id",
            "",
            samples.video_like(
                "video_note", 5, 180_000, 16, width=240, height=240, transcript="Hello from the laboratory."
            ),
        ),
        (
            "video_message_id",
            "Induction, filmed.",
            samples.video_like("video", 30, 2 * _MIB, 17, width=1280, height=720, file_name="induction.mp4"),
        ),
        (
            "audio_message_id",
            "",
            samples.video_like(
                "audio", 184, 2_944_000, 18, width=0, height=0, title="On Electricity", performer="M. Faraday"
            ),
        ),
        ("animation_message_id", "", samples.video_like("animation", 3, 96_000, 19, width=320, height=240)),
        ("sticker_message_id", "", samples.sticker()),
        ("poll_message_id", "", samples.poll()),
        ("location_message_id", "", samples.location()),
        ("contact_message_id", "", samples.contact()),
        (
            "webpage_message_id",
            "This year's lectures: https://www.rigb.org/explore-science/explore/blog/faraday-lectures",
            samples.webpage(),
        ),
        (
            "big_document_message_id",
            "The full tables.",
            samples.generated_document("engine-tables.zip", "application/zip", 20 * _MIB, 20),
        ),
        (
            "huge_document_message_id",
            "",
            samples.generated_document("lecture-film.mkv", "video/x-matroska", 50 * _MIB, 50),
        ),
        ("big_photo_message_id", "Iron filings around a magnet, full resolution.", samples.big_photo()),
    )


def _seed_media(
    world: SandboxWorld, michael: int, channel: int, at: Callable[[float], float]
) -> dict[str, int]:
    """Post one message of every media kind to the archive channel, before its last post."""
    posts = _media_posts()
    return {
        field: world.send(
            sender=michael,
            peer=f"channel:{channel}",
            text=caption,
            date=at(199.9 - index * 0.05),
            media=media,
        )
        for index, (field, caption, media) in enumerate(posts)
    }


# (hours before now, sender, topic title, text), in a forum supergroup.
_FORUM_SCRIPT: tuple[tuple[float, str, str, str], ...] = (
    (34.0, "charles", "Gears", "The brass gears for the store arrived today."),
    (33.0, "ada", "Gears", "Wonderful. How many teeth on the large wheel?"),
    (9.0, "kath", "Gears", "Forty, I counted them twice."),
    (7.0, "charles", "Gears", "The second batch ships next week."),
    (8.0, "charles", "Announcements", "Workshop closed on Saturday for cleaning."),
    (4.5, "grace", "General", "Has anyone seen my screwdriver?"),
)


def _seed_forum_and_folders(
    world: SandboxWorld, ids: dict[str, int], rooms: dict[str, str], at: Callable[[float], float]
) -> tuple[int, tuple[int, ...], int, tuple[int, ...], dict[str, int]]:
    """Engine Makers (a forum with topics), an archived channel, and two chat folders.

    Unread for Ada afterwards: Gears 2, Announcements 1, General 1 (she read the forum
    when she wrote in Gears); nothing in the archived channel.
    """
    ada = ids["ada"]
    forum = world.create_channel(
        title="Engine Makers",
        creator=ids["charles"],
        members=[ada, ids["grace"], ids["kath"]],
        megagroup=True,
        date=at(36),
    )
    peer = f"channel:{forum}"
    world.make_forum(peer=peer)
    titles = ("Gears", "Announcements", "Minutes 1843")
    topics = {
        title: world.create_topic(actor=ids["charles"], peer=peer, title=title, date=at(35))
        for title in titles
    }
    world.send(
        sender=ids["charles"],
        peer=peer,
        text="Minutes of the first meeting.",
        date=at(35),
        reply_to=topics["Minutes 1843"],
    )
    world.close_topic(peer=peer, topic=topics["Minutes 1843"])
    for hours, sender, title, text in sorted(_FORUM_SCRIPT, reverse=True):
        world.send(sender=ids[sender], peer=peer, text=text, date=at(hours), reply_to=topics.get(title))
        if sender == "ada":
            world.read(user_id=ada, peer=peer)
    archived = world.create_channel(
        title="Royal Institution Archive", creator=ids["michael"], members=[ada, ids["grace"]], date=at(200)
    )
    media = _seed_media(world, ids["michael"], archived, at)
    world.send(
        sender=ids["michael"], peer=f"channel:{archived}", text="Lecture notes from 1831.", date=at(199)
    )
    for reader in (ada, ids["grace"]):
        world.read(user_id=reader, peer=f"channel:{archived}")
        world.archive(user_id=reader, peer=f"channel:{archived}")
    work = world.add_folder(user_id=ada, title="Work", include=(rooms["group"], rooms["channel"], peer))
    people = world.add_folder(user_id=ada, title="People", contacts=True)
    return forum, tuple(topics.values()), archived, (work, people), media


def _reply_target(world: SandboxWorld, sender: int, peer: str, text: str) -> int | None:
    """The id (in the sender's box) of the message ``text`` answers, per ``_REPLIES``."""
    for reply_prefix, target_prefix in _REPLIES:
        if text.startswith(reply_prefix):
            return next(
                m.id for m in world.history(viewer=sender, peer=peer) if m.text.startswith(target_prefix)
            )
    return None


_BIOS: dict[str, str] = {
    "ada": "Writing notes on the Analytical Engine.",
    "charles": "Inventor of the Difference Engine. Gears, cards and tea.",
    "mary": "Science writer: on the connexion of the physical sciences.",
    "grace": "Compilers, moths and nanoseconds.",
    "alan": "On computable numbers.",
    "michael": "Physicist. Editor of Science Weekly.",
}

# (hours before now, commenter, text, index of the comment it answers or None)
_COMMENTS: tuple[tuple[float, str, str, int | None], ...] = (
    (7.5, "mary", "Because hot air rises and carries the flame with it?", None),
    (7.0, "charles", "Mary is right; in orbit a flame is a round blue ball.", 0),
    (6.0, "michael", "Both correct. Convection is the word we want.", None),
)


def _profiles_and_comments(
    world: SandboxWorld, ids: dict[str, int], channel: int, supergroup: int, at: Callable[[float], float]
) -> tuple[int, int]:
    """Bios, badges, slow mode, a scam account, and comments under one Science Weekly post."""
    for key, about in _BIOS.items():
        world.describe_user(
            ids[key],
            about=about,
            premium=key == "ada",
            verified=key == "michael",
            phone_private=key == "alan",
        )
    scam = world.add_user(first_name="Free Engine Tickets", username="engine_tickets", bot=True)
    world.describe_user(scam, about="Claim your free tickets now!", scam=True)
    world.describe_channel(channel, about="Short notes from the lecture hall, every few days.", verified=True)
    world.describe_channel(supergroup, about="One problem a week.", slowmode_seconds=30)
    discussion = world.create_channel(
        title="Science Weekly Chat",
        creator=ids["michael"],
        members=[ids["mary"], ids["charles"]],
        megagroup=True,
        username="science_weekly_chat",
        date=at(72),
    )
    post_id = next(
        m.id
        for m in world.history(viewer=ids["michael"], peer=f"channel:{channel}")
        if m.text.startswith("Reader question")
    )
    copy = world.open_comments(channel=channel, post_id=post_id, discussion=discussion)
    comments: list[int] = []
    for hours, who, text, answers in _COMMENTS:
        reply_to = copy if answers is None else comments[answers]
        comments.append(
            world.send(
                sender=ids[who], peer=f"channel:{discussion}", text=text, date=at(hours), reply_to=reply_to
            )
        )
    return discussion, post_id
