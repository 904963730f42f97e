"""Persistence in SQLite: the only package that writes SQL.

Open the database with :func:`open_database`, then wrap it in the repositories
(:class:`Identities`, :class:`Accounts`). Every value crossing this boundary is a frozen
dataclass; ``sqlite3`` rows and connections never leave the package.
"""

from mctltg.storage.accounts import DEFAULT_LABEL as DEFAULT_LABEL
from mctltg.storage.accounts import AccountRow as AccountRow
from mctltg.storage.accounts import Accounts as Accounts
from mctltg.storage.accounts import AccountStatus as AccountStatus
from mctltg.storage.accounts import normalize_label as normalize_label
from mctltg.storage.accounts import session_binding as session_binding
from mctltg.storage.audit import AuditEntry as AuditEntry
from mctltg.storage.audit import AuditLog as AuditLog
from mctltg.storage.audit import AuditVerdict as AuditVerdict
from mctltg.storage.database import Database as Database
from mctltg.storage.database import DatabaseStatistics as DatabaseStatistics
from mctltg.storage.database import open_database as open_database
from mctltg.storage.identities import Identities as Identities
from mctltg.storage.identities import IdentityRow as IdentityRow
from mctltg.storage.migrations import MIGRATIONS as MIGRATIONS
from mctltg.storage.migrations import Migration as Migration
from mctltg.storage.migrations import schema_version as schema_version
from mctltg.storage.oauth import AccessDecision as AccessDecision
from mctltg.storage.oauth import AuthorizationRow as AuthorizationRow
from mctltg.storage.oauth import ClientRow as ClientRow
from mctltg.storage.oauth import CodeCheck as CodeCheck
from mctltg.storage.oauth import Exchange as Exchange
from mctltg.storage.oauth import GrantRow as GrantRow
from mctltg.storage.oauth import IssueTokens as IssueTokens
from mctltg.storage.oauth import OAuthStore as OAuthStore
from mctltg.storage.oauth import Outcome as Outcome
from mctltg.storage.sends import BeginResult as BeginResult
from mctltg.storage.sends import SendRecord as SendRecord
from mctltg.storage.sends import Sends as Sends
from mctltg.storage.sharing import SharingRules as SharingRules

__all__ = [
    "DEFAULT_LABEL",
    "MIGRATIONS",
    "AccessDecision",
    "AccountRow",
    "AccountStatus",
    "Accounts",
    "AuditEntry",
    "AuditLog",
    "AuditVerdict",
    "AuthorizationRow",
    "BeginResult",
    "ClientRow",
    "CodeCheck",
    "Database",
    "DatabaseStatistics",
    "Exchange",
    "GrantRow",
    "Identities",
    "IdentityRow",
    "IssueTokens",
    "Migration",
    "OAuthStore",
    "Outcome",
    "SendRecord",
    "Sends",
    "SharingRules",
    "normalize_label",
    "open_database",
    "schema_version",
    "session_binding",
]
