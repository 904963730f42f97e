"""``scripts/bench``: measurements of mctltg against the sandbox and a bare MCP SDK server.

Not part of the shipped package (setuptools includes ``mctltg*`` only, and the
executable never imports this); the load and process-fault tests reuse its lean
wire client.
"""
