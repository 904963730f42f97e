"""``mctltg canary``: a black-box probe of a running deployment, as a client sees it.

It touches nothing of the server but its URL: it speaks HTTP and MCP to a base URL with a
read-only bearer token, exactly like Claude.ai or ChatGPT would (it reuses only the
project's own parsers and signal wait). Steps, in order:

1. ``as_metadata`` — ``GET /.well-known/oauth-authorization-server`` names an issuer,
   an authorization endpoint and a token endpoint (RFC 8414). If it fails the run stops.
   With ``--no-auth`` (a local-dev server such as ``mctltg demo``, which is not an OAuth
   issuer) the step is skipped, and the report says so.
2. ``token_refresh`` — only with ``--refresh-token-file``: an unattended canary outlives
   any access token, so each run trades its refresh token at the advertised token
   endpoint for a fresh access token and writes the rotated refresh token back (0600).
3. ``initialize`` — the MCP ``initialize`` handshake over Streamable HTTP.
4. ``list_dialogs`` — ``tools/call list_dialogs {limit: 5}``.
5. ``get_unread_messages`` — ``{limit: 1}``, only with ``--probe-unread``.

The token is best a worker token minted for the canary's own identity
(``mctltg token mint --identity tg:<canary id> --scopes telegram:dialogs:read
telegram:messages:read --ttl 90d --purpose canary > canary.token``, then ``--token-file``):
scoped read-only, long-lived, listed and revocable (``mctltg token revoke``), and its use
is audited on the canary's identity. A read-only access token from a sign-in, or its
refresh token, also works.

A tool error counts as a failure, and so does any answer mentioning ``FLOOD_WAIT``:
a canary account that is being rate-limited is an outage waiting to happen.

Results: one line per step on stdout (never the token, never any content), exit code
0 (every step passed), 1 (a step failed, or the push failed) or 2 (usage: no URL, no
token). ``mctl_telegram_canary_success``, ``mctl_telegram_canary_duration_seconds`` and
``mctl_telegram_canary_step_failure_total{step}`` are pushed to a Pushgateway
(``--pushgateway``), or with ``--serve HOST:PORT`` the probe repeats every
``--interval`` seconds and the metrics are served for Prometheus to scrape.

Modules: ``probe`` (one run of the steps), ``metrics`` (the registry, pushed or served),
``command`` (options, usage errors, one run or the served loop).
"""

from mctltg.canary.command import UsageError, add_arguments, canary_command, config_from
from mctltg.canary.metrics import CanaryMetrics
from mctltg.canary.probe import STEPS, CanaryConfig, CanaryReport, StepResult, probe

__all__ = [
    "STEPS",
    "CanaryConfig",
    "CanaryMetrics",
    "CanaryReport",
    "StepResult",
    "UsageError",
    "add_arguments",
    "canary_command",
    "config_from",
    "probe",
]
