"""`RunQuery`: which stored runs a listing wants (Mastra's listWorkflowRuns filters).

One value carries the filters from every edge (`Workflow.list_runs`, the server's
`GET /api/workflows/:id/runs`, the client, the CLI) to `Storage.list_runs`, so the
filters and their meaning are spelled here once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RunQuery:
    """Runs newest first, filtered; pages (0-based) apply when both `page` and `per_page` are set."""

    #: one workflow's runs (None: every workflow's)
    workflow_id: str | None = None
    #: one status, or any of several (an empty collection matches nothing)
    status: str | Collection[str] | None = None
    #: created at or after this time (naive datetimes are local time)
    from_date: datetime | None = None
    #: created at or before this time
    to_date: datetime | None = None
    resource_id: str | None = None
    page: int | None = None
    per_page: int | None = None

    def checked(self) -> RunQuery:
        """This query, refusing a negative page or a page size under 1 (ValueError)."""
        if self.page is not None and self.page < 0:
            raise ValueError(f"page must be >= 0, got {self.page}")
        if self.per_page is not None and self.per_page < 1:
            raise ValueError(f"per_page must be a positive integer, got {self.per_page}")
        return self

    @property
    def statuses(self) -> list[str] | None:
        """The status filter as a list (None for no filter)."""
        if self.status is None:
            return None
        return [self.status] if isinstance(self.status, str) else list(self.status)

    @property
    def from_ms(self) -> int | None:
        """`from_date` as Unix epoch milliseconds (the stored `created_at`)."""
        return _epoch_ms(self.from_date)

    @property
    def to_ms(self) -> int | None:
        """`to_date` as Unix epoch milliseconds."""
        return _epoch_ms(self.to_date)

    @property
    def window(self) -> tuple[int, int] | None:
        """`(limit, offset)` of the page, or None when the listing is not paged."""
        if self.page is None or self.per_page is None:
            return None
        size = max(self.per_page, 0)
        return size, max(self.page, 0) * size

    def matches(self, workflow_id: str, status: str, resource_id: str | None, created_at: int) -> bool:
        """True when a run with these fields passes the filters (paging aside)."""
        statuses = self.statuses
        lo, hi = self.from_ms, self.to_ms
        return (
            (self.workflow_id is None or workflow_id == self.workflow_id)
            and (statuses is None or status in statuses)
            and (self.resource_id is None or resource_id == self.resource_id)
            and (lo is None or created_at >= lo)
            and (hi is None or created_at <= hi)
        )

    def to_api_params(self) -> dict[str, Any]:
        """The query parameters of `GET /api/workflows/:id/runs` (None where unset). The route
        filters by one status, so a query for several is refused (ValueError)."""
        statuses = self.statuses
        if statuses is not None and len(statuses) != 1:
            raise ValueError(f"the runs route filters by one status, got {statuses}")
        return {
            "status": statuses[0] if statuses is not None else None,
            "fromDate": self.from_date.isoformat() if self.from_date else None,
            "toDate": self.to_date.isoformat() if self.to_date else None,
            "resourceId": self.resource_id,
            "page": self.page,
            "perPage": self.per_page,
        }

    @classmethod
    def from_api_params(cls, workflow_id: str, params: Mapping[str, Any]) -> RunQuery:
        """The query of `GET /api/workflows/:id/runs`, from its parsed parameters: `offset`
        and `limit` are Mastra's other spelling of `page` and `perPage`."""
        per_page = params.get("perPage") or params.get("limit")
        page, offset = params.get("page"), params.get("offset")
        if page is None and offset is not None and per_page:
            page = offset // per_page
        return cls(
            workflow_id=workflow_id,
            status=params.get("status") or None,
            from_date=params.get("fromDate"),
            to_date=params.get("toDate"),
            resource_id=params.get("resourceId") or None,
            page=page,
            per_page=per_page,
        )


def _epoch_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)
