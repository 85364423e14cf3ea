"""Plain dataclasses that services hand out — to the CLI, the TUI and plugins. Never ORM rows."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from .domain import Grant, ItemStatus, OrderState, ProjectType, Purpose, RenewMode, Role
from .money import Money


def to_jsonable(value):
    """dataclass → JSON-ready structures (Money as {amount, currency}, datetimes ISO)."""
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        if set(value) == {"amount", "currency"}:
            return dict(value)
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in operator."""

    id: int
    login: str
    name: str
    role: Role


@dataclass(frozen=True)
class AccountView:
    id: int
    login: str
    name: str
    role: Role
    parent_login: str | None
    email: str | None
    pay_by_installer: Grant
    created_at: dt.datetime
    locked_until: dt.datetime | None = None


@dataclass(frozen=True)
class ProjectView:
    id: int
    name: str
    type: ProjectType
    installer_login: str
    created_at: dt.datetime
    pay_by_pm: Grant
    item_count: int = 0
    active_count: int = 0
    managers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemView:
    id: int
    project_id: int
    site: str
    service_type: str
    service_label: str
    subject_name: str
    subject_email: str | None
    company: str | None
    status: ItemStatus
    expires_at: dt.datetime | None


@dataclass(frozen=True)
class QuoteLine:
    """One row of the confirmation table: Site, Company, Service Type, Name, Email, price,
    Expiration Time, Next Expiration Time."""

    item_id: int
    project_id: int
    site: str
    company: str | None
    service_type: str
    service_label: str
    subject_name: str
    subject_email: str | None
    price: Money
    credits: int
    days: int
    expires_at: dt.datetime | None
    next_expires_at: dt.datetime | None
    excluded_reason: str | None = None


@dataclass(frozen=True)
class Quote:
    purpose: Purpose
    project_type: ProjectType
    renew_mode: RenewMode | None
    renew_to: dt.date | None
    auto_cycles: int | None
    auto_until: dt.date | None
    lines: tuple[QuoteLine, ...]
    excluded: tuple[QuoteLine, ...]
    total: Money
    total_credits: int
    counts: dict[str, int] = field(default_factory=dict)  # service_type → number of items

    @property
    def is_empty(self) -> bool:
        return not self.lines


@dataclass(frozen=True)
class BillingInfoView:
    company: str
    attn: str
    address: str
    tel: str
    fax: str = ""


@dataclass(frozen=True)
class OrderLineView:
    item_id: int | None
    site: str
    company: str | None
    service_type: str
    service_label: str
    subject_name: str
    subject_email: str | None
    days: int
    price: Money
    expires_before: dt.datetime | None
    expires_after: dt.datetime | None


@dataclass(frozen=True)
class AttemptView:
    id: int
    method: str
    amount: Money
    state: str
    idempotency_key: str
    provider_ref: str | None
    redirect_url: str | None
    detail: dict                   # what the plugin answered (ChargeResult.detail, with its message)
    created_at: dt.datetime


@dataclass(frozen=True)
class OrderView:
    txn: str
    payer_login: str
    purpose: Purpose
    project_type: ProjectType | None
    total: Money
    state: OrderState
    created_at: dt.datetime
    deadline_at: dt.datetime
    paid_at: dt.datetime | None
    renew_mode: RenewMode | None
    renew_to: dt.date | None
    auto_cycles: int | None
    auto_until: dt.date | None
    credit_quantity: int | None
    billing: BillingInfoView
    lines: tuple[OrderLineView, ...] = ()
    attempts: tuple[AttemptView, ...] = ()
    failure_reason: str | None = None
    credit_for_login: str | None = None     # R15: a credit purchase bought for this account

    @property
    def transaction_type(self) -> str:
        return self.purpose.label


@dataclass(frozen=True)
class CouponView:
    code: str
    owner_login: str
    face_value: Money
    remaining: Money
    expires_at: dt.datetime | None
    issued_at: dt.datetime

    def usable_at(self, now: dt.datetime) -> bool:
        return self.remaining.amount > 0 and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class LedgerEntryView:
    id: int
    at: dt.datetime
    kind: str
    amount: int
    balance_after: int
    actor_login: str | None
    counterparty_login: str | None
    order_txn: str | None
    reference: str | None


@dataclass(frozen=True)
class OrderListRow:
    """One row of the Orders list: the order (without lines) and how many items it pays for."""

    order: OrderView
    items: int


@dataclass(frozen=True)
class CsvExport:
    """Where an export was written and how many rows it holds."""

    path: str
    rows: int


@dataclass(frozen=True)
class AuditView:
    at: dt.datetime
    actor_login: str | None
    action: str
    target: str
    detail: str


@dataclass(frozen=True)
class RenewalPlanView:
    """An auto-renew plan (R7): what it renews, with which saved method, and how it stands."""

    id: int
    payer_login: str
    method: str
    source_txn: str
    project_type: ProjectType
    item_ids: tuple[int, ...]
    cycles_limit: int | None
    until: dt.date | None
    cycles_done: int
    state: str                     # active, stopped, ended
    stopped_reason: str | None
    failures: int
    next_retry_at: dt.datetime | None
    upcoming_expiry: dt.datetime | None


@dataclass(frozen=True)
class NotificationView:
    id: int
    account_login: str
    kind: str
    message: str
    order_txn: str | None
    plan_id: int | None
    created_at: dt.datetime
