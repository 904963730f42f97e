"""mctltg: a remote MCP server for a Telegram user account.

Importing the package has no side effects; ``mctltg.cli:main`` is the entry point.
"""

__version__ = "0.1.0"
