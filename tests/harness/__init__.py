"""The test harness: the one way tests start, reach and read a server, by concept.

- :mod:`~tests.harness.settings`: ``sandbox_settings`` (loopback, sandbox Telegram, a
  database in the test's folder) and ``OAUTH_MODE``, the overrides for a self-issuing server.
- :mod:`~tests.harness.inprocess`: ``serve_in_process``, the whole server (Hypercorn, the
  MCP SDK, Quart, Telethon over the sandbox) in the test's nursery, and its one handle,
  ``InProcessServer``; ``serve_provisioned`` adds a known URL and the demo person's account.
- :mod:`~tests.harness.mcp_client`: the SDK client over the tools in memory, a signed-in
  caller, and the one raw ``initialize`` request (``INITIALIZE``, ``ACCEPT``).
- :mod:`~tests.harness.world`: what the sandbox Telegram delivered and the login codes it sent.
- :mod:`~tests.harness.oauth`: the authorization steps walked without a browser (``Harness``,
  ``read_only_token``); :mod:`~tests.harness.oidc`: the same through a real loopback OIDC
  provider and a cookie-jar ``Browser``.
- :mod:`~tests.harness.site`: the web pages as a browser without JavaScript sees them;
  :mod:`~tests.harness.browser`: a real headless Chromium with screenshots and axe-core.
- :mod:`~tests.harness.processes`: ``mctltg demo`` and the Node scripts as child processes.
- :mod:`~tests.harness.tool_host`: the tools on a Trio loop in a thread, for Hypothesis.
- :mod:`~tests.harness.logs`: the product's log configuration captured into a string.
- :mod:`~tests.harness.disk`: what SQLite left on disk.

Fixtures stay in ``conftest.py`` files (pytest finds them there); they call into this package.
A hand-moved clock is the product's own ``mctltg.sandbox.testing.ManualClock``.
"""
