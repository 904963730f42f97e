"""``mctltg token``: the operator mints, lists and revokes worker tokens from the command line.

Worker tokens (``oauth/worker_tokens.py``) are this server's own access tokens with a
purpose, for automation such as the canary. The command opens the database directly (a
server on the same database may run: SQLite's WAL lets both work, and nothing here owns a
Telegram session) and mints with the same issuer, audience, tier rules and maximum
lifetime as the ``mint_worker_token`` tool; the operator is the minter (``created_by``
empty), and every mint and revoke leaves an audit row on the token's identity.

``mint`` prints only the token on stdout, so ``mctltg token mint ... > canary.token``
stores it and nothing else; what was minted goes to stderr. Every mistake is one
sentence and exit code 2, with nothing stored.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

import trio

from mctltg.errors import InvalidInput, PermissionDenied

if TYPE_CHECKING:
    from mctltg.config import Settings
    from mctltg.oauth.worker_tokens import WorkerTokens
    from mctltg.storage.worker_tokens import WorkerTokenRow

__all__ = ["add_token_arguments", "token_command"]


def add_token_arguments(commands: argparse._SubParsersAction[Any]) -> None:
    """The ``token`` subcommand and its three actions."""
    token = commands.add_parser("token", help="mint, list or revoke worker tokens (for automation)")
    actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    mint = actions.add_parser("mint", help="mint a worker token; prints only the token")
    mint.add_argument("--identity", required=True, metavar="SUBJECT", help="whom it acts as, e.g. tg:123456")
    mint.add_argument(
        "--scopes",
        required=True,
        nargs="+",
        metavar="SCOPE",
        help="scopes within the identity's tier, e.g. telegram:dialogs:read telegram:messages:read",
    )
    mint.add_argument("--ttl", required=True, help="lifetime, e.g. 12h or 30d (at most WORKER_TOKEN_MAX_TTL)")
    mint.add_argument("--purpose", required=True, help="what it is for, e.g. canary")
    listing = actions.add_parser("list", help="list worker tokens (never the tokens themselves)")
    listing.add_argument("--identity", metavar="SUBJECT", help="only this identity's")
    revoke = actions.add_parser("revoke", help="revoke one worker token, or every one of an identity")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--jti", help="the token's jti (mctltg token list)")
    which.add_argument("--identity", metavar="SUBJECT", help="every live token of this identity")


def token_command(
    settings: Settings, args: argparse.Namespace, *, out: TextIO, err: TextIO | None = None
) -> int:
    """Run ``mctltg token ACTION``; the exit code."""
    err = err or sys.stderr
    if settings.operator_mode or settings.jwt_signing_key is None:
        print(
            "mctltg token: worker tokens are this server's own access tokens; they need "
            "AUTH_MODE=local-jwt with OAUTH_JWT_SIGNING_KEY set",
            file=err,
        )
        return 2
    if settings.encryption_key is None:
        print("mctltg token: set ENCRYPTION_KEY (mints and revocations are audited with it)", file=err)
        return 2

    async def run() -> int:
        from mctltg.app.admin import worker_tokens
        from mctltg.storage import AuditLog, Identities, OAuthStore, open_database
        from mctltg.storage.audit import audit_key

        assert settings.encryption_key is not None
        async with open_database(settings.database_url) as database:
            workers = worker_tokens(
                settings,
                database=database,
                identities=Identities(database),
                oauth=OAuthStore(database),
                audit=AuditLog(database, key=audit_key(settings.encryption_key.value)),
            )
            assert workers is not None
            return await _act(workers, args, out=out, err=err)

    try:
        return trio.run(run)
    except (InvalidInput, PermissionDenied) as exc:
        print(f"mctltg token: {exc}", file=err)
        return 2


async def _act(workers: WorkerTokens, args: argparse.Namespace, *, out: TextIO, err: TextIO) -> int:
    if args.token_command == "mint":
        identity = await workers.identity(args.identity)
        scopes = [scope for text in args.scopes for scope in text.replace(",", " ").split()]
        minted = await workers.mint(
            identity, scopes=scopes, ttl=args.ttl, purpose=args.purpose, created_by=None
        )
        print(minted.token, file=out)
        row = minted.row
        print(
            f"worker token {row.jti} for {row.subject} ({row.purpose}): {' '.join(row.scopes)}; "
            f"expires {_when(row.expires_at)}",
            file=err,
        )
        return 0
    if args.token_command == "list":
        identity_id = None
        if args.identity:
            identity_id = (await workers.identity(args.identity)).id
        rows = await workers.listing(identity_id)
        now = workers.now()
        print("jti\tidentity\tpurpose\tscopes\texpires\tstatus\tlast used", file=out)
        for row in rows:
            print(_line(row, now), file=out)
        return 0
    if args.identity:
        target = await workers.identity(args.identity)
        revoked = await workers.revoke(identity_id=target.id)
    else:
        known = await workers.get(args.jti)
        if known is None:
            raise InvalidInput("--jti", "no worker token has this jti; mctltg token list shows them")
        revoked = await workers.revoke(jti=known.jti)
    for row in revoked:
        print(f"revoked {row.jti} ({row.subject}, {row.purpose})", file=out)
    if not revoked:
        print("no live worker token matched; nothing changed", file=out)
    return 0


def _line(row: WorkerTokenRow, now: float) -> str:
    status = "revoked" if row.revoked_at is not None else "expired" if row.expires_at < now else "live"
    used = _when(row.last_used_at) if row.last_used_at is not None else "never"
    return "\t".join(
        (row.jti, row.subject, row.purpose, " ".join(row.scopes), _when(row.expires_at), status, used)
    )


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(seconds)))
