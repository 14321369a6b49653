"""Coarse browser / OS / device type from a User-Agent header (data minimisation).

Only what the data map declares is kept: the browser family with its major
version, the OS family, and phone/tablet/desktop. The full header is not stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+)"),
    ("Opera", r"OPR/(\d+)"),
    ("Samsung Internet", r"SamsungBrowser/(\d+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)"),
    ("Chrome", r"(?:HeadlessChrome|Chrome|CriOS)/(\d+)"),
    ("Safari", r"Version/(\d+)[^ ]* (?:Mobile/\S+ )?Safari/"),
)
_SYSTEMS = (
    ("Android", r"Android"),
    ("iOS", r"iPhone|iPad|iPod"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("ChromeOS", r"CrOS"),
    ("Linux", r"Linux|X11"),
)


@dataclass(frozen=True)
class Equipment:
    """What the data map calls technical data about the participant's equipment."""

    browser: str | None
    os: str | None
    device_type: str | None


def parse(user_agent: str | None) -> Equipment:
    """Browser family and major version, OS family and device type of `user_agent`."""
    if not user_agent:
        return Equipment(None, None, None)
    browser = next(
        (f"{name} {m.group(1)}" for name, rx in _BROWSERS if (m := re.search(rx, user_agent))),
        None,
    )
    system = next((name for name, rx in _SYSTEMS if re.search(rx, user_agent)), None)
    if re.search(r"iPad|Tablet", user_agent) or (
        system == "Android" and "Mobile" not in user_agent
    ):
        device = "tablet"
    elif re.search(r"Mobi|iPhone|iPod", user_agent):
        device = "phone"
    else:
        device = "desktop"
    return Equipment(browser, system, device)
