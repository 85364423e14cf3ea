"""peewee models. Only core services touch these; everything above gets dataclasses."""
from __future__ import annotations

import peewee as pw

from .database import db_proxy
from .fields import UtcDateTimeField


class BaseModel(pw.Model):
    class Meta:
        database = db_proxy
        legacy_table_names = False


class Account(BaseModel):
    login = pw.CharField(max_length=64, unique=True)
    name = pw.CharField(max_length=128)
    role = pw.CharField(max_length=20, index=True)
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    email = pw.CharField(max_length=254, null=True)
    password_hash = pw.CharField(max_length=255)
    pay_by_installer = pw.CharField(max_length=10, default="none")  # R2, meaningful for installers
    failed_logins = pw.IntegerField(default=0)
    locked_until = UtcDateTimeField(null=True)
    created_at = UtcDateTimeField()


class Project(BaseModel):
    name = pw.CharField(max_length=128)
    type = pw.CharField(max_length=20)
    installer = pw.ForeignKeyField(Account, backref="projects", on_delete="RESTRICT")
    created_at = UtcDateTimeField()
    pay_by_pm = pw.CharField(max_length=10, default="none")  # R2

    class Meta:
        indexes = ((("installer", "type"), False),)


class ProjectManager(BaseModel):
    """A property manager manages one or more projects of its installer."""

    project = pw.ForeignKeyField(Project, backref="managers", on_delete="CASCADE")
    manager = pw.ForeignKeyField(Account, backref="managed", on_delete="CASCADE")

    class Meta:
        indexes = ((("project", "manager"), True),)


class Item(BaseModel):
    """A billable service of a project: an app, a door, a premium plan…"""

    project = pw.ForeignKeyField(Project, backref="items", on_delete="RESTRICT")
    service_type = pw.CharField(max_length=32)
    subject_name = pw.CharField(max_length=128)
    subject_email = pw.CharField(max_length=254, null=True)
    company = pw.CharField(max_length=128, null=True)
    activated_at = UtcDateTimeField(null=True)
    expires_at = UtcDateTimeField(null=True)
    created_at = UtcDateTimeField()


class BillingInfo(BaseModel):
    account = pw.ForeignKeyField(Account, unique=True, on_delete="CASCADE")
    company = pw.CharField(max_length=128)
    attn = pw.CharField(max_length=128)
    address = pw.CharField(max_length=256)
    tel = pw.CharField(max_length=32)
    fax = pw.CharField(max_length=32, default="")
    updated_at = UtcDateTimeField()


class Order(BaseModel):
    txn = pw.CharField(max_length=17, unique=True)
    payer = pw.ForeignKeyField(Account, backref="orders", on_delete="RESTRICT")
    purpose = pw.CharField(max_length=20)
    project_type = pw.CharField(max_length=20, null=True)
    unit = pw.CharField(max_length=8)  # ISO currency, or CREDIT for orders priced in credits
    total = pw.BigIntegerField()       # minor units or whole credits
    state = pw.CharField(max_length=20, index=True)
    created_at = UtcDateTimeField(index=True)
    deadline_at = UtcDateTimeField()
    paid_at = UtcDateTimeField(null=True)
    finished_at = UtcDateTimeField(null=True)
    renew_mode = pw.CharField(max_length=8, null=True)
    renew_to = pw.DateField(null=True)
    auto_cycles = pw.IntegerField(null=True)
    auto_until = pw.DateField(null=True)
    credit_quantity = pw.IntegerField(null=True)
    # R15: whose balance a credit purchase lands in, when the buyer bought for someone below it.
    credit_for = pw.ForeignKeyField(Account, null=True, backref="credits_bought_for", on_delete="RESTRICT")
    terms_accepted_at = UtcDateTimeField()
    billing_json = pw.TextField()
    failure_reason = pw.TextField(null=True)


class OrderItem(BaseModel):
    order = pw.ForeignKeyField(Order, backref="lines", on_delete="CASCADE")
    item = pw.ForeignKeyField(Item, null=True, on_delete="RESTRICT")
    project = pw.ForeignKeyField(Project, null=True, on_delete="RESTRICT")
    service_type = pw.CharField(max_length=32)
    days = pw.IntegerField(default=0)
    price = pw.BigIntegerField()
    expires_before = UtcDateTimeField(null=True)
    expires_after = UtcDateTimeField(null=True)


class PaymentAttempt(BaseModel):
    order = pw.ForeignKeyField(Order, backref="attempts", on_delete="RESTRICT")
    method = pw.CharField(max_length=64)
    idempotency_key = pw.CharField(max_length=80, unique=True)
    amount = pw.BigIntegerField()
    unit = pw.CharField(max_length=8)
    state = pw.CharField(max_length=12, index=True)
    provider_ref = pw.CharField(max_length=255, null=True, index=True)  # webhooks find attempts by it
    redirect_url = pw.TextField(null=True)
    detail = pw.TextField(default="")
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()


class Coupon(BaseModel):
    code = pw.CharField(max_length=32, unique=True)
    owner = pw.ForeignKeyField(Account, backref="coupons", on_delete="RESTRICT")
    face_value = pw.BigIntegerField()
    currency = pw.CharField(max_length=3)
    expires_at = UtcDateTimeField(null=True)
    issued_at = UtcDateTimeField()


class CouponEntry(BaseModel):
    """Append-only coupon ledger (M4): issue, redeem, restore. The newest entry's balance_after
    is the coupon's remainder."""

    coupon = pw.ForeignKeyField(Coupon, backref="entries", on_delete="RESTRICT")
    kind = pw.CharField(max_length=10)
    amount = pw.BigIntegerField()  # signed
    balance_after = pw.BigIntegerField()
    order = pw.ForeignKeyField(Order, null=True, on_delete="RESTRICT")
    at = UtcDateTimeField()

    class Meta:
        indexes = ((("coupon", "id"), False),)


class CreditEntry(BaseModel):
    """R11 credit ledger, append-only. The newest entry's balance_after is the balance."""

    account = pw.ForeignKeyField(Account, backref="credit_entries", on_delete="RESTRICT")
    kind = pw.CharField(max_length=12)
    amount = pw.BigIntegerField()  # signed: + purchase/assign_in/refund, - assign_out/consume
    balance_after = pw.BigIntegerField()
    actor = pw.ForeignKeyField(Account, null=True, backref="+", on_delete="RESTRICT")
    counterparty = pw.ForeignKeyField(Account, null=True, backref="+", on_delete="RESTRICT")
    order = pw.ForeignKeyField(Order, null=True, on_delete="RESTRICT")
    reference = pw.CharField(max_length=255, null=True)
    at = UtcDateTimeField()

    class Meta:
        indexes = ((("account", "id"), False),)


class AuditLog(BaseModel):
    at = UtcDateTimeField(index=True)
    actor = pw.ForeignKeyField(Account, null=True, backref="+", on_delete="RESTRICT")
    action = pw.CharField(max_length=64)
    target = pw.CharField(max_length=128, default="")
    detail = pw.TextField(default="")


class SchemaVersion(BaseModel):
    version = pw.IntegerField(primary_key=True)
    description = pw.CharField(max_length=255)
    applied_at = UtcDateTimeField()


class Refund(BaseModel):
    """Money given back for a paid attempt that could not be applied (its items moved, or the
    order had ended). One per attempt; its key derives from the transaction number (M1), so
    retrying an unknown refund can never refund twice."""

    attempt = pw.ForeignKeyField(PaymentAttempt, unique=True, backref="refunds", on_delete="RESTRICT")
    idempotency_key = pw.CharField(max_length=80, unique=True)
    amount = pw.BigIntegerField()
    unit = pw.CharField(max_length=8)
    state = pw.CharField(max_length=12, index=True)  # requested, unknown, succeeded, failed
    reason = pw.TextField(default="")
    provider_ref = pw.CharField(max_length=255, null=True)
    detail = pw.TextField(default="")
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()


class RenewalPlan(BaseModel):
    """R7: a payer's standing instruction to renew some items every 30 days with a saved method.
    `saved_method` is the provider's reference to the card / PayPal vault, not a secret."""

    payer = pw.ForeignKeyField(Account, backref="renewal_plans", on_delete="RESTRICT")
    method = pw.CharField(max_length=64)
    saved_method = pw.CharField(max_length=255)
    source_order = pw.ForeignKeyField(Order, unique=True, on_delete="RESTRICT")  # the auto-renew order that set it up
    project_type = pw.CharField(max_length=20)
    cycles_limit = pw.IntegerField(null=True)   # cycles in all, the first (paid by the source order) included
    until = pw.DateField(null=True)             # or: cycles that begin on or before this day
    cycles_done = pw.IntegerField(default=1)
    state = pw.CharField(max_length=10, index=True)  # active, stopped, ended
    stopped_reason = pw.TextField(null=True)
    failures = pw.IntegerField(default=0)       # declines in a row, for the current cycle
    next_retry_at = UtcDateTimeField(null=True)
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()


class RenewalPlanItem(BaseModel):
    plan = pw.ForeignKeyField(RenewalPlan, backref="items", on_delete="CASCADE")
    item = pw.ForeignKeyField(Item, on_delete="RESTRICT")

    class Meta:
        indexes = ((("plan", "item"), True),)


class RenewalCycle(BaseModel):
    """The order that charges one try of one cycle of a plan. The UNIQUE (plan, cycle, try) is
    what makes two runners on two machines unable to both create it."""

    plan = pw.ForeignKeyField(RenewalPlan, backref="cycles", on_delete="RESTRICT")
    cycle = pw.IntegerField()
    try_no = pw.IntegerField()
    order = pw.ForeignKeyField(Order, unique=True, on_delete="RESTRICT")

    class Meta:
        indexes = ((("plan", "cycle", "try_no"), True),)


class Notification(BaseModel):
    """Something an account must hear about (a declined renewal, a stopped plan, a refund)."""

    account = pw.ForeignKeyField(Account, backref="notifications", on_delete="RESTRICT")
    kind = pw.CharField(max_length=32)
    message = pw.TextField()
    order = pw.ForeignKeyField(Order, null=True, on_delete="RESTRICT")
    plan = pw.ForeignKeyField(RenewalPlan, null=True, on_delete="RESTRICT")
    created_at = UtcDateTimeField(index=True)

    class Meta:
        indexes = ((("account", "id"), False),)


class WebhookInbox(BaseModel):
    """Each verified provider notification, stored once (M5): a replay finds its row and
    changes nothing. The body is not kept — only what the core acted on."""

    method = pw.CharField(max_length=64)
    event_id = pw.CharField(max_length=255)
    type = pw.CharField(max_length=128)
    txn = pw.CharField(max_length=17, null=True)
    provider_ref = pw.CharField(max_length=255, null=True)
    state = pw.CharField(max_length=10)  # received, applied, ignored
    note = pw.TextField(default="")
    received_at = UtcDateTimeField()
    handled_at = UtcDateTimeField(null=True)

    class Meta:
        indexes = ((("method", "event_id"), True),)


class SshKey(BaseModel):
    """An operator's SSH public key: `smartpay ssh serve` opens the desk as `account` for it.
    A key belongs to one account (the fingerprint is unique), so it never opens two."""

    account = pw.ForeignKeyField(Account, backref="ssh_keys", on_delete="CASCADE")
    key_type = pw.CharField(max_length=64)
    key_data = pw.TextField()                          # the base64 blob, as in authorized_keys
    fingerprint = pw.CharField(max_length=64, unique=True)  # SHA256:…, what is listed and removed
    comment = pw.CharField(max_length=128, default="")
    added_at = UtcDateTimeField()


class DeskTicket(BaseModel):
    """A one-time pass from the SSH server to the desk process it spawns: the server has
    authenticated the connection; the child redeems the ticket once, within seconds, to start
    logged in. Only a SHA-256 of the token is stored."""

    token_hash = pw.CharField(max_length=64, unique=True)
    account = pw.ForeignKeyField(Account, backref="+", on_delete="CASCADE")
    expires_at = UtcDateTimeField()
    used_at = UtcDateTimeField(null=True)


# Which migration creates which tables (core/db/migrations.py); MODELS is every table there is.
MODELS_V1 = [Account, Project, ProjectManager, Item, BillingInfo, Order, OrderItem, PaymentAttempt,
             Coupon, CouponEntry, CreditEntry, AuditLog]
MODELS_V2 = [Refund, RenewalPlan, RenewalPlanItem, RenewalCycle, Notification, WebhookInbox]
MODELS_V3 = [SshKey, DeskTicket]
MODELS = MODELS_V1 + MODELS_V2 + MODELS_V3
