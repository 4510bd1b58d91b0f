"""Web Push tables: a device's subscription, a stored message, and one delivery per device.

A message is stored first (in the transaction of the event that caused it); its deliveries
are the queue. A delivery's primary key is (message, subscription), so no device can ever
be queued the same message twice, however often a fan-out is resumed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.sqltypes import JsonData, UtcDateTime


class PushSubscription(SQLModel, table=True):
    __tablename__ = "push_subscription"

    id: str = Field(primary_key=True, max_length=36)  # uuid7: fan-outs walk subscriptions in id order
    user_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, index=True))
    endpoint: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    # sha256 of the endpoint: endpoints can be long, and one device has one subscription.
    endpoint_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    p256dh: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    auth: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    locale: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    categories: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))  # bit mask, rules.py
    all_associations: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    quiet_start: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))  # minutes
    quiet_end: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    time_zone: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class PushSubscriptionAssociation(SQLModel, table=True):
    """The associations a subscription chose (only read when all_associations is off)."""

    __tablename__ = "push_subscription_association"

    subscription_id: str = Field(sa_column=sa.Column(
        sa.String(36), sa.ForeignKey("push_subscription.id", ondelete="CASCADE"), primary_key=True,
    ))
    association_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))


class PushMessage(SQLModel, table=True):
    __tablename__ = "push_message"

    id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    category: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    source_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    audience_kind: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))  # user | association | all
    audience_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    params: dict[str, Any] = Field(sa_column=sa.Column(JsonData, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    # The fan-out walks subscriptions in id order; the cursor commits with the rows it made.
    fanout_cursor: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    fanout_done: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False, index=True))


class PushDelivery(SQLModel, table=True):
    __tablename__ = "push_delivery"
    __table_args__ = (sa.Index("ix_push_delivery_state_due", "state", "due_at"),)

    message_id: str = Field(sa_column=sa.Column(
        sa.String(36), sa.ForeignKey("push_message.id", ondelete="CASCADE"), primary_key=True,
    ))
    subscription_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True, index=True))
    state: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))  # pending | sent | failed | gone
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    # When a pending delivery may be claimed; a claim moves it a lease ahead.
    due_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    last_status: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    sent_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
