"""Helpers for the browser tests (the fixtures are in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


def screenshot(page: Page, name: str) -> Path:
    """Saved for people to look at (var/screenshots/), not compared."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
