"""Everything here runs ON the Telethon (asyncio) thread, never on Trio's.

Each operation takes the Telethon client first and returns ``telegram.model`` values.
Only ``telegram/`` reaches these modules: ``TelegramAccount`` and ``TelegramLogin``
run them through ``TelegramConnection`` and the bridge, under the call deadline.
"""
