"""Masking a citizen's name, e-mail and phone where the reader does not need them (the
officer's list; 個人資料保護法). The request's own page shows them: the officer replies."""

from __future__ import annotations


def mask_name(name: str | None) -> str:
    """The first character, then one ``○`` per other character: ``王小明`` -> ``王○○``."""
    if not name:
        return ""
    return name[0] + "○" * (len(name) - 1)


def mask_email(email: str | None) -> str:
    """The first character of the local part and the domain: ``c***@example.org``."""
    if not email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_phone(phone: str | None) -> str:
    """The last three digits: ``*******678``."""
    if not phone:
        return ""
    digits = [c for c in phone if c.isdigit()]
    return "*" * max(0, len(digits) - 3) + "".join(digits[-3:])
