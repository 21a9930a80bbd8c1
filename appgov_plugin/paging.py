"""A list page's paging (shown by the ``appgov/_pager.html`` macro): the page asked for, the
rows per page and the number of rows in all."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .i18n import _


@dataclass
class Paging:
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        """The number of the page's first row (0: no rows)."""
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


def read_page(given: str | None) -> tuple[int, str | None]:
    """The page a ``page`` query parameter asks for (1 when it is empty; ``0`` reads as 1),
    and the refusal naming the field when it is no page number (then page 1)."""
    given = (given or "").strip()
    if not given:
        return 1, None
    if given.isascii() and given.isdigit() and 0 < len(given) < 7:
        return max(1, int(given)), None
    return 1, _("Page: “%(value)s” is not a page number.", value=given[:10])
