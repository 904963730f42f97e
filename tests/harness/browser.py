"""A real headless Chromium for the pages: Playwright driving Debian's ``chromium`` package.

Playwright's own browser download does not work here, so it launches the system
binary with the flags a closed network needs. Playwright's sync API runs in a worker
thread (it brings its own asyncio loop; the test and the server stay on Trio); the
browser code calls back into Trio with ``trio.from_thread`` when it must touch the
sandbox world (a phone scanning the QR code, the login code Telegram "sent").

Every :meth:`Tab.step` saves a screenshot under ``test-artifacts/browser/`` and runs
axe-core (npm, injected into the page) and fails on a serious or critical violation;
console errors (a CSP violation, a failed WebSocket, a 404) fail the test too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

import trio
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, ViewportSize, sync_playwright

ROOT: Final = Path(__file__).resolve().parent.parent.parent
CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS: Final = ROOT / "test-artifacts" / "browser"
AXE_SCRIPT: Final = ROOT / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"
#: Milliseconds any one browser action may take (the machine may be busy).
ACTION_TIMEOUT: Final = 20_000
PHONE: Final[ViewportSize] = {"width": 390, "height": 844}
_AXE_RUN: Final = """() => axe.run(document, {resultTypes: ["violations"]}).then(
  r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                               targets: v.nodes.map(n => n.target.join(" "))})))"""

T = TypeVar("T")


@dataclass
class Tab:
    """One page in one browser context, with screenshot and accessibility steps."""

    page: Page
    test: str
    javascript: bool = True
    console_errors: list[str] = field(default_factory=list)
    shots: int = 0
    allowed_console: tuple[str, ...] = ()

    def step(self, name: str, *, ours: bool = True) -> Path:
        """Screenshot the page as ``<test>-NN-<name>.png``; check its accessibility if it is ``ours``."""
        self.page.wait_for_load_state("load")
        self.shots += 1
        path = ARTIFACTS / f"{self.test}-{self.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if ours and self.javascript:  # axe runs in the page: not with JavaScript off
            self.check_accessibility()
        return path

    def check_accessibility(self) -> None:
        if not self.page.evaluate("() => typeof axe !== 'undefined'"):
            # Evaluated over the DevTools protocol: the page's CSP does not apply to it.
            self.page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
        violations: list[dict[str, Any]] = self.page.evaluate(_AXE_RUN)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{self.page.url}: {serious}"

    def assert_clean_console(self) -> None:
        errors = [e for e in self.console_errors if not any(a in e for a in self.allowed_console)]
        assert errors == [], errors


def _record_console(tab: Tab, message: ConsoleMessage) -> None:
    where = message.location.get("url", "")
    # The OIDC provider's page (not ours) has no icon; ours is /static/favicon.svg.
    if message.type == "error" and not where.endswith("/favicon.ico"):
        tab.console_errors.append(f"{message.text} ({where})")


def run_in_browser(test: str, drive: Callable[[Tab], T], *, javascript: bool = True) -> T:
    """Launch Chromium, open one phone-sized tab, run ``drive(tab)``; in the calling (worker) thread."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{test}-*.png"):
        old.unlink()
    if not AXE_SCRIPT.exists():
        raise AssertionError(f"{AXE_SCRIPT} is missing: run scripts/install-node (scripts/test does) first")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=60_000
        )
        try:
            context: BrowserContext = browser.new_context(
                viewport=PHONE, java_script_enabled=javascript, locale="en-US"
            )
            context.set_default_timeout(ACTION_TIMEOUT)
            page = context.new_page()
            tab = Tab(page=page, test=test, javascript=javascript)
            page.on("console", lambda message: _record_console(tab, message))
            try:
                result = drive(tab)
            except Exception as exc:
                page.screenshot(path=str(ARTIFACTS / f"{test}-failed.png"), full_page=True)
                body = page.inner_text("body")[:1500] if page.url.startswith("http") else ""
                raise AssertionError(f"at {page.url}: {body!r}; console: {tab.console_errors}") from exc
            tab.assert_clean_console()
            return result
        finally:
            browser.close()


async def in_browser(
    test: str, drive: Callable[[Tab], T], *, javascript: bool = True, timeout: float = 150
) -> T:
    """Run ``drive`` in a browser from a Trio test, bounded by ``timeout`` seconds."""
    with trio.fail_after(timeout):
        return await trio.to_thread.run_sync(
            lambda: run_in_browser(test, drive, javascript=javascript), abandon_on_cancel=True
        )


def sign_in_at_provider(tab: Tab, telegram_id: int) -> None:
    """Answer the loopback OIDC provider's sign-in form (Telegram's, in production)."""
    tab.page.wait_for_url(re.compile(r".*/interaction/.*"))
    tab.step("telegram-sign-in", ours=False)  # the provider's page (Telegram's in production)
    tab.page.fill("input[name=login]", str(telegram_id))
    tab.page.click("button")


def from_trio(fn: Callable[..., T], *args: Any) -> T:
    """Call a synchronous function on the Trio thread (the sandbox world lives there)."""
    return trio.from_thread.run_sync(fn, *args)
