"""KH-VER-1: app version numbers ``MAJOR.MINOR.PATCH`` (主版本號.子版本號.階段版本號).

Accepted: three non-negative whole numbers separated by dots, without leading zeros
(``1.0.0``, ``2.10.3``). Refused, with a message naming the value: two or four parts
(``1.2``), prefixes or suffixes (``v1.2.3``, ``1.2.3-beta``, ``1.2.3+build``), blanks,
signs and leading zeros (``01.2.3``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

_VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


class Version(NamedTuple):
    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def parse_version(text: str) -> Version:
    """Parse ``MAJOR.MINOR.PATCH`` or raise ``ValueError`` naming the malformed value."""
    if not isinstance(text, str) or not (match := _VERSION.fullmatch(text)):
        raise ValueError(
            f"malformed version {text!r}: expected MAJOR.MINOR.PATCH, e.g. 1.0.0 (KH-VER-1)"
        )
    return Version(*(int(part) for part in match.groups()))


def is_major_change(previous: Version, new: Version) -> bool:
    """KH-VER-1: a change is major when MAJOR increases."""
    return new.major > previous.major
