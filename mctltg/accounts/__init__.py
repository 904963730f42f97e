"""The account layer: per-identity Telegram access, supervision and policy."""

from mctltg.accounts.directory import AccountDirectory
from mctltg.accounts.lifecycle import ExpiryPolicy, SessionLifecycle, open_session_lifecycle
from mctltg.accounts.login import LoginManager, open_login_manager
from mctltg.accounts.login_steps import FAILURES as LOGIN_FAILURES
from mctltg.accounts.login_steps import LoginStep, LoginView, normalize_phone
from mctltg.accounts.manage import DeleteOutcome, DisconnectOutcome, delete_account, disconnect_account
from mctltg.accounts.pool import AccountPool, AccountState, PoolStatistics, Timeouts, open_account_pool
from mctltg.accounts.send_gate import GATE_ORDER, GateDecision, GateFacts
from mctltg.accounts.send_gate import evaluate as evaluate_gate
from mctltg.accounts.sending import PIN_SCOPE, SEND_SCOPE, Sending, SendOutcome, SendPolicy, StatusReport

__all__ = [
    "GATE_ORDER",
    "LOGIN_FAILURES",
    "PIN_SCOPE",
    "SEND_SCOPE",
    "AccountDirectory",
    "AccountPool",
    "AccountState",
    "DeleteOutcome",
    "DisconnectOutcome",
    "ExpiryPolicy",
    "GateDecision",
    "GateFacts",
    "LoginManager",
    "LoginStep",
    "LoginView",
    "PoolStatistics",
    "SendOutcome",
    "SendPolicy",
    "Sending",
    "SessionLifecycle",
    "StatusReport",
    "Timeouts",
    "delete_account",
    "disconnect_account",
    "evaluate_gate",
    "normalize_phone",
    "open_account_pool",
    "open_login_manager",
    "open_session_lifecycle",
]
