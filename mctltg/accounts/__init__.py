"""The account layer: who calls, which Telegram account serves them, and the policy around it.

Tools get everything they need from here: ``AccountDirectory.account_for`` (a
``TelegramAccount``), the caller's identity, send consent, gated sends, the audit trail
and admins' access decisions. Nothing above this layer touches storage.
"""

from mctltg.accounts.access import AccessAdmin, AccessChange, TierRules
from mctltg.accounts.audit import AuditEntry, AuditTrail
from mctltg.accounts.directory import OPERATOR_SUBJECT, AccountDirectory, Identity
from mctltg.accounts.gated_send import Sending, SendOutcome, SendPolicy, StatusReport
from mctltg.accounts.lifecycle import ExpiryPolicy, SessionLifecycle, open_session_lifecycle
from mctltg.accounts.login import LoginManager, open_login_manager
from mctltg.accounts.login_steps import FAILURES as LOGIN_FAILURES
from mctltg.accounts.login_steps import LoginStep, LoginView, normalize_phone
from mctltg.accounts.manage import DeleteOutcome, DisconnectOutcome, delete_account, disconnect_account
from mctltg.accounts.media_links import LinkGone, MediaLinks, MintedLink, TooManyStreams
from mctltg.accounts.pool import AccountPool, AccountState, PoolStatistics, Timeouts, open_account_pool
from mctltg.accounts.send_gate import GATE_ORDER, GateDecision, GateFacts
from mctltg.accounts.send_gate import evaluate as evaluate_gate
from mctltg.accounts.sharing import SharedChats
from mctltg.telegram import EVERYTHING, MediaDownload, SharingRule, TelegramAccount

__all__ = [
    "EVERYTHING",
    "GATE_ORDER",
    "LOGIN_FAILURES",
    "OPERATOR_SUBJECT",
    "AccessAdmin",
    "AccessChange",
    "AccountDirectory",
    "AccountPool",
    "AccountState",
    "AuditEntry",
    "AuditTrail",
    "DeleteOutcome",
    "DisconnectOutcome",
    "ExpiryPolicy",
    "GateDecision",
    "GateFacts",
    "Identity",
    "LinkGone",
    "LoginManager",
    "LoginStep",
    "LoginView",
    "MediaDownload",
    "MediaLinks",
    "MintedLink",
    "PoolStatistics",
    "SendOutcome",
    "SendPolicy",
    "Sending",
    "SessionLifecycle",
    "SharedChats",
    "SharingRule",
    "StatusReport",
    "TelegramAccount",
    "TierRules",
    "Timeouts",
    "TooManyStreams",
    "delete_account",
    "disconnect_account",
    "evaluate_gate",
    "normalize_phone",
    "open_account_pool",
    "open_login_manager",
    "open_session_lifecycle",
]
