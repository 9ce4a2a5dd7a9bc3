"""Reading a rendered page's form state, and filling the GOV.UK-style date fields."""

import re
from datetime import date


def button(html: str, action: str) -> bool:
    """Whether the page has a submit button ``name=action value=<action>``."""
    return bool(
        re.search(rf'<button[^>]*name="action"[^>]*value="{action}"', html, re.S)
    )


def checked(html: str, name: str, value: str) -> bool | None:
    """Whether the input ``name``/``value`` is checked (None when it is absent)."""
    for tag in re.findall(r"<input[^>]*>", html, re.S):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return "checked" in tag
    return None


def input_value(html: str, name: str) -> str | None:
    for tag in re.findall(r"<input[^>]*>", html, re.S):
        if f'name="{name}"' in tag:
            match = re.search(r'value="([^"]*)"', tag)
            return match.group(1) if match else ""
    return None


def date_fields(day: date, name="occurred_on") -> dict:
    return {
        f"{name}[day]": str(day.day),
        f"{name}[month]": str(day.month),
        f"{name}[year]": str(day.year),
    }
