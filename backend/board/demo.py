"""A few posts, a broadcast and a circular for the demo ward (駒込三丁目町会), so the board
screen is not empty. Idempotent: each demo post has a fixed id; one that exists is left."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.board import posts
from backend.board.models import Association, Post
from backend.board.types import CreatePostInput, PostKind, Urgency
from backend.core.actions import ActionContext

_NAMESPACE = uuid.UUID("2b7c4e8a-9d51-4c1e-8f0a-5e3d2c1b0a94")
ASSOCIATION = "駒込三丁目町会"
# (author's email, kind, urgency, rsvp, language, title, body)
DEMO = (
    ("leader@demo.otagai.example", "BROADCAST", "IMPORTANT", False, "ja", "防災訓練のお知らせ",
     "11月30日（日）10時、駒込小学校の校庭に集合してください。安否確認の練習をします。"),
    ("leader@demo.otagai.example", "CIRCULAR", "NORMAL", True, "ja", "回覧：年末夜警の当番",
     "12月の夜警当番表です。ご都合を「参加・欠席・未定」でお知らせください。"),
    ("hanako@demo.otagai.example", "POST", "NORMAL", False, "ja", "ベビーカーを譲ります",
     "使わなくなったベビーカーがあります。ご希望の方はコメントください。"),
    ("tom@demo.otagai.example", "POST", "NORMAL", False, "en", "English conversation tea",
     "Every Saturday at the community hall, 3 pm. Everyone welcome! / 土曜15時、集会所で英会話のお茶会。"),
    ("linh@demo.otagai.example", "POST", "NORMAL", False, "ja-easy", "ごみ の 日 を おしえて ください",
     "もえる ごみ は なんようび ですか。"),
)


async def load_demo_board(session: AsyncSession, *, users: dict[str, str], now: datetime) -> int:
    association_id = await session.scalar(sa.select(Association.id).where(Association.name == ASSOCIATION))
    if association_id is None:
        return 0
    created = 0
    for email, kind, urgency, rsvp, language, title, body in DEMO:
        post_id = str(uuid.uuid5(_NAMESPACE, f"{email}:{title}"))
        if email not in users or await session.get(Post, post_id) is not None:
            continue
        ctx = ActionContext(users[email], "demo", post_id, now, now, False, now)
        await posts.create_post(session, ctx, CreatePostInput(
            id=post_id, association_id=association_id, kind=PostKind(kind), title=title, body=body,
            urgency=Urgency(urgency), rsvp=rsvp, language=language,
        ))
        created += 1
    return created
