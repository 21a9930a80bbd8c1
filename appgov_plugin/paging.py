"""A list page's paging (shown by the ``appgov/_pager.html`` macro): the page asked for, the
rows per page and the number of rows in all."""

from __future__ import annotations

import math
from dataclasses import dataclass


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
