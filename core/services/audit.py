"""Audit log: who did what, written in the same transaction as the change it describes."""
from __future__ import annotations

import json

import peewee as pw

from ..db.models import Account, AuditLog
from ..views import Actor, AuditView
from .base import Service


class AuditService(Service):
    def record(self, actor: Actor | None, action: str, target: str = "", **detail) -> None:
        # Secrets never reach here: callers pass identifiers and amounts only.
        AuditLog.create(at=self.now(), actor=actor.id if actor else None, action=action,
                        target=target, detail=json.dumps(detail, default=str, sort_keys=True))

    def recent(self, limit: int = 100) -> list[AuditView]:
        rows = (AuditLog.select(AuditLog, Account.id, Account.login).join(Account, on=(AuditLog.actor == Account.id),
                join_type=pw.JOIN.LEFT_OUTER).order_by(AuditLog.id.desc()).limit(limit))
        return [AuditView(r.at, r.actor.login if r.actor_id else None, r.action, r.target, r.detail)
                for r in rows]
