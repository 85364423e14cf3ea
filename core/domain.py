"""The domain's vocabulary: roles, project and service types, grants, states — with the labels
operators know from SmartPlus's screens."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum


class Role(StrEnum):
    PLATFORM = "platform"
    DISTRIBUTOR = "distributor"
    SUB_DISTRIBUTOR = "sub_distributor"
    INSTALLER = "installer"
    PROPERTY_MANAGER = "property_manager"

    @property
    def is_distributor(self) -> bool:
        return self in (Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR)

    @property
    def label(self) -> str:
        return {"platform": "Platform", "distributor": "Distributor", "sub_distributor": "Sub Distributor",
                "installer": "Installer", "property_manager": "Property Manager"}[self.value]


# Which role may sit directly below which (None: top of the tree).
ALLOWED_PARENTS: dict[Role, tuple[Role | None, ...]] = {
    Role.PLATFORM: (None,),
    Role.DISTRIBUTOR: (None, Role.PLATFORM),
    Role.SUB_DISTRIBUTOR: (Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR),
    Role.INSTALLER: (Role.DISTRIBUTOR, Role.SUB_DISTRIBUTOR),
    Role.PROPERTY_MANAGER: (Role.INSTALLER,),
}


class ProjectType(StrEnum):
    COMMUNITY = "community"
    SINGLE_FAMILY = "single_family"
    COMMERCIAL = "commercial"

    @property
    def label(self) -> str:
        return {"community": "Community", "single_family": "Single-Family",
                "commercial": "Commercial"}[self.value]


class Grant(StrEnum):
    """R2: what "Pay by Installer" / "Pay By PM" allow."""

    NONE = "none"
    REGULAR = "regular"
    CREDIT = "credit"

    @property
    def label(self) -> str:
        return GRANT_LABELS[self]


GRANT_LABELS = {
    Grant.NONE: "No Permission",
    Grant.REGULAR: "Stripe/PayPal Coupon",
    Grant.CREDIT: "Credit (Supported for commercial projects created after June 1, 2025)",
}

# R3's default cut-off; the credit plugin's configuration may move it.
CREDIT_CUTOFF_DEFAULT = dt.datetime(2025, 6, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

# DESIGN.md's table: service types per project type, in the order screens list them.
SERVICE_TYPES: dict[ProjectType, dict[str, str]] = {
    ProjectType.COMMUNITY: {
        "app": "App", "pm_app": "PM App", "additional_app": "Additional App",
        "third_party_lock": "Third Party Lock", "premium_plan": "Premium Plan",
        "sensor_alert": "Sensor Detection Call Alert",
    },
    ProjectType.SINGLE_FAMILY: {
        "app": "App", "additional_app": "Additional App", "third_party_lock": "Third Party Lock",
        "premium_plan": "Premium Plan", "sensor_alert": "Sensor Detection Call Alert",
    },
    ProjectType.COMMERCIAL: {
        "door": "Door", "personnel_app": "Personnel App", "admin_app": "Admin App",
        "premium_feature": "Premium Feature", "sensor_alert": "Sensor Detection Call Alert",
    },
}
# Commercial projects: the first door is free (SmartPlus public pricing).
FREE_FIRST = {(ProjectType.COMMERCIAL, "door")}


def service_label(project_type: ProjectType | str, service_type: str) -> str:
    return SERVICE_TYPES[ProjectType(project_type)].get(service_type, service_type)


class ItemStatus(StrEnum):
    INACTIVE = "inactive"
    ACTIVE = "active"
    EXPIRED = "expired"  # derived on read: active with expiry in the past


class Purpose(StrEnum):
    ACTIVATION = "activation"
    RENEWAL = "renewal"
    CREDIT_PURCHASE = "credit_purchase"

    @property
    def label(self) -> str:
        return {"activation": "Activation", "renewal": "Monthly Fee",
                "credit_purchase": "Credit Purchase"}[self.value]


class RenewMode(StrEnum):
    MANUAL = "manual"
    AUTO = "auto"


class PayIn(StrEnum):
    """How an order is priced and paid: in money (Stripe, PayPal, coupons) or in credits (R2, R3)."""

    MONEY = "money"
    CREDIT = "credit"

    @property
    def family(self) -> Grant:
        """The grant (R2) — and so the payment-method family — that allows paying this way."""
        return Grant.CREDIT if self is PayIn.CREDIT else Grant.REGULAR

    @property
    def label(self) -> str:
        return {"money": "Regular Payment", "credit": "Credit Payment"}[self.value]


class OrderState(StrEnum):
    PROCESSING = "processing"
    SYSTEM_PROCESSING = "system_processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"processing": "Processing", "system_processing": "System Processing",
                "succeeded": "Successful", "failed": "Failed", "timed_out": "Timeout",
                "cancelled": "Cancelled"}[self.value]

    @property
    def is_final(self) -> bool:
        return self in (OrderState.SUCCEEDED, OrderState.FAILED, OrderState.TIMED_OUT,
                        OrderState.CANCELLED)


class AttemptState(StrEnum):
    PROCESSING = "processing"  # handed to the provider, waiting for the payer
    UNKNOWN = "unknown"        # M3: the call's outcome is not known; reconcile settles it
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class LedgerKind(StrEnum):
    PURCHASE = "purchase"
    ASSIGN_OUT = "assign_out"
    ASSIGN_IN = "assign_in"
    CONSUME = "consume"
    REFUND = "refund"
