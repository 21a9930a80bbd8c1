"""What the forwarder hands a mailbox adapter and what it gets back, and appgov's default
adapter: Open311 GeoReport v2 to the city's mailbox (``APPGOV_MAILBOX_URL``).

* :class:`MailboxItem` -- one feedback item to deliver, with its app, agency and
  ``idempotency_key`` (MAIL-2: the mailbox records it once, however often it is sent);
* :class:`Receipt` -- the mailbox's answer (its case number, Open311 ``service_request_id``);
* :class:`MailboxStatus` -- a case's status as the mailbox reports it (``sync``);
* :class:`RetryableError` / :class:`PermanentError` -- "try again later" (down, timed out,
  5xx, 429) and "refused" (4xx: parked as failed at once with the mailbox's message);
* :class:`Open311Adapter` -- the default (hook ``appgov_mailbox_adapter``, ``trylast``):
  ``POST {base}/requests.json`` form-encoded with the ``Idempotency-Key`` header, ``GET
  {base}/requests.json?service_request_id=a,b,c`` for statuses; one pooled ``httpx.Client``
  per forwarder run.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..policy.hookspecs import hookimpl

if TYPE_CHECKING:  # httpx is imported by the adapter's first use: a web process starts without it
    import httpx

#: the most case numbers asked in one status request (Open311 lists; the city's mailbox)
STATUS_BATCH = 100


class MailboxError(Exception):
    """A delivery that did not happen; ``str()`` is what the outbox row keeps."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        #: seconds the mailbox asked to wait (HTTP ``Retry-After``), if it said
        self.retry_after = retry_after


class RetryableError(MailboxError):
    """The mailbox could not take the item now (down, busy, timed out): back off, try again."""


class PermanentError(MailboxError):
    """The mailbox refused the item (a 4xx answer): trying again would give the same answer,
    so it is parked as failed at once for an administrator."""

    retryable = False


class NotConfiguredError(RuntimeError):
    """No adapter: ``APPGOV_MAILBOX_URL`` is not set and no hook module gives one."""


@dataclass(frozen=True)
class MailboxItem:
    """One feedback item as the mailbox receives it (built from ``Feedback`` and its app)."""

    feedback_id: int
    idempotency_key: str
    description: str
    requested_at: dt.datetime
    locale: str
    app_code: str
    app_name: str
    agency_code: str
    agency_name: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    device_id: str | None = None
    media_url: str | None = None
    lat: decimal.Decimal | None = None
    long: decimal.Decimal | None = None
    address_string: str | None = None


@dataclass(frozen=True)
class Receipt:
    """The mailbox's answer to a delivery: its case number and its notice, if any."""

    service_request_id: str
    service_notice: str = ""


@dataclass(frozen=True)
class MailboxStatus:
    """A case as the mailbox reports it (Open311 GeoReport v2 words)."""

    status: str  # "open" | "closed"
    status_notes: str | None = None
    agency_responsible: str | None = None
    updated_datetime: dt.datetime | None = None


def as_receipt(answer) -> Receipt:
    """An adapter's answer to ``submit`` (a case number or a :class:`Receipt`) as a receipt."""
    if isinstance(answer, Receipt):
        receipt = answer
    elif isinstance(answer, str | int):
        receipt = Receipt(str(answer))
    else:
        raise PermanentError(f"the adapter answered {answer!r}, not a case number")
    if not receipt.service_request_id or len(receipt.service_request_id) > 64:
        raise RetryableError(f"the mailbox answered no usable case number: {answer!r}")
    return receipt


def parse_datetime(value) -> dt.datetime | None:
    """An ISO 8601 timestamp of the mailbox (``2026-12-02T15:04:05+08:00``; ``Z``) in UTC."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


# -- the default: Open311 GeoReport v2 ----------------------------------------------------


def _error_text(response: httpx.Response) -> str:
    """``"HTTP 400: 'description' is required"``: the mailbox's own words where it gave them
    (Open311 errors: ``[{"code": 400, "description": "..."}]``)."""
    words = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            body = [body]
        words = "; ".join(
            str(error.get("description") or "") for error in body if isinstance(error, dict)
        )
    except ValueError:
        words = response.text[:500]
    return f"HTTP {response.status_code}: {words.strip() or response.reason_phrase}"


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(float(response.headers.get("Retry-After", "")), 0.0)
    except ValueError:
        return None


class Open311Adapter:
    """The city's mailbox speaking Open311 GeoReport v2 at ``base_url`` (BRIEF: the protocol
    between appgov and the city's mailbox). Thread-safe: the forwarder sends several items
    at once over the one pooled client."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        service_code: str = "app-feedback",
        *,
        timeout: float = 10,
        connections: int = 8,
    ):
        import httpx

        self.api_key = api_key or ""
        self.service_code = service_code
        self.client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            timeout=timeout,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            headers={"Accept": "application/json", "User-Agent": "appgov-mailbox-forwarder"},
        )

    @classmethod
    def from_config(cls, config) -> Open311Adapter | None:
        if not config.get("APPGOV_MAILBOX_URL"):
            return None
        return cls(
            config["APPGOV_MAILBOX_URL"],
            config.get("APPGOV_MAILBOX_API_KEY"),
            config.get("APPGOV_MAILBOX_SERVICE_CODE") or "app-feedback",
            timeout=float(config.get("APPGOV_MAILBOX_TIMEOUT") or 10),
            connections=max(int(config.get("APPGOV_MAILBOX_CONCURRENCY") or 1), 1),
        )

    def close(self) -> None:
        self.client.close()

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        import httpx

        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TimeoutException as error:
            raise RetryableError(f"the mailbox did not answer in time ({error!r})") from error
        except httpx.TransportError as error:  # refused, reset, DNS: try again later
            raise RetryableError(f"the mailbox is unreachable ({error!r})") from error
        if response.status_code in (408, 429) or response.status_code >= 500:
            raise RetryableError(_error_text(response), retry_after=_retry_after(response))
        if 400 <= response.status_code < 500:
            raise PermanentError(_error_text(response))
        if response.status_code not in (200, 201):  # a redirect: a wrong URL, fixed later
            raise RetryableError(_error_text(response))
        return response

    def _first(self, response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError as error:
            raise RetryableError(
                f"the mailbox answered no JSON: {response.text[:200]!r}"
            ) from error
        if isinstance(body, list) and body and isinstance(body[0], dict):
            return body[0]
        if isinstance(body, dict):
            return body
        raise RetryableError(f"the mailbox answered {body!r}")

    def form(self, item: MailboxItem) -> dict[str, str]:
        """The ``POST requests.json`` fields of ``item`` (empty ones left out)."""
        fields = {
            "api_key": self.api_key,
            "service_code": self.service_code,
            "description": item.description,
            "email": item.email,
            "first_name": item.first_name,
            "last_name": item.last_name,
            "phone": item.phone,
            "device_id": item.device_id,
            "media_url": item.media_url,
            "lat": item.lat,
            "long": item.long,
            "address_string": item.address_string,
            "attribute[app_code]": item.app_code,
            "attribute[app_name]": item.app_name,
            "attribute[agency_code]": item.agency_code,
            "attribute[agency_name]": item.agency_name,
            "attribute[feedback_id]": item.feedback_id,
            "attribute[requested_datetime]": item.requested_at.isoformat(),
            "attribute[locale]": item.locale,
            "attribute[idempotency_key]": item.idempotency_key,
        }
        return {name: str(value) for name, value in fields.items() if value not in (None, "")}

    def submit(self, item: MailboxItem) -> Receipt:
        response = self._request(
            "POST",
            "requests.json",
            data=self.form(item),
            headers={"Idempotency-Key": item.idempotency_key},
        )
        answer = self._first(response)
        number = answer.get("service_request_id")
        if not number and answer.get("token"):
            # Open311: a token until the mailbox gives the case its number; resending later
            # is safe (the same idempotency key answers the same case)
            number = self._token_number(str(answer["token"]))
        return as_receipt(Receipt(str(number or ""), str(answer.get("service_notice") or "")))

    def _token_number(self, token: str) -> str:
        answer = self._first(
            self._request("GET", f"tokens/{token}.json", params={"api_key": self.api_key})
        )
        if not answer.get("service_request_id"):
            raise RetryableError(f"the mailbox has no case number for token {token} yet")
        return str(answer["service_request_id"])

    def statuses(self, service_request_ids) -> dict[str, MailboxStatus]:
        ids = [str(i) for i in service_request_ids]
        found: dict[str, MailboxStatus] = {}
        for start in range(0, len(ids), STATUS_BATCH):
            chunk = ids[start : start + STATUS_BATCH]
            response = self._request(
                "GET",
                "requests.json",
                params={"service_request_id": ",".join(chunk), "api_key": self.api_key},
            )
            try:
                body = response.json()
            except ValueError as error:
                raise RetryableError(f"the mailbox answered no JSON: {error}") from error
            for case in body if isinstance(body, list) else ():
                number = str(case.get("service_request_id") or "")
                if number in chunk and case.get("status") in ("open", "closed"):
                    found[number] = MailboxStatus(
                        status=case["status"],
                        status_notes=case.get("status_notes") or None,
                        agency_responsible=case.get("agency_responsible") or None,
                        updated_datetime=parse_datetime(case.get("updated_datetime")),
                    )
        return found


@hookimpl(trylast=True)
def appgov_mailbox_adapter(app):
    # the city's mailbox speaks Open311 (APPGOV_MAILBOX_URL); without it, no adapter
    return Open311Adapter.from_config(app.config)
