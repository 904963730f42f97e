"""Persistence in SQLite: the only package that writes SQL.

Open the database with :func:`open_database`, then wrap it in the repositories
(:class:`Identities`, :class:`Accounts`). Every value crossing this boundary is a frozen
dataclass; ``sqlite3`` rows and connections never leave the package.
"""

from mctltg.storage.accounts import AccountRow as AccountRow
from mctltg.storage.accounts import Accounts as Accounts
from mctltg.storage.accounts import AccountStatus as AccountStatus
from mctltg.storage.accounts import session_binding as session_binding
from mctltg.storage.database import Database as Database
from mctltg.storage.database import DatabaseStatistics as DatabaseStatistics
from mctltg.storage.database import open_database as open_database
from mctltg.storage.identities import Identities as Identities
from mctltg.storage.identities import IdentityRow as IdentityRow
from mctltg.storage.migrations import MIGRATIONS as MIGRATIONS
from mctltg.storage.migrations import Migration as Migration
from mctltg.storage.migrations import schema_version as schema_version

__all__ = [
    "MIGRATIONS",
    "AccountRow",
    "AccountStatus",
    "Accounts",
    "Database",
    "DatabaseStatistics",
    "Identities",
    "IdentityRow",
    "Migration",
    "open_database",
    "schema_version",
    "session_binding",
]
