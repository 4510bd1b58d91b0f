"""Photos of posts: re-encoded on the server to a small JPEG — at most 1,024 px a side, without
EXIF (so no GPS position leaves a resident's phone) — with limits on upload size, pixel count
(decompression bombs) and photos per post. Served as base64 through GraphQL to whoever may
see the post; devices learn of them through their pull (`PostPhoto`, without the bytes)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
from typing import Any

import sqlalchemy as sa
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from backend.board import access, posts
from backend.board.models import Post, PostPhoto
from backend.core import feed
from backend.core.clock import utcnow
from backend.core.errors import NotFound, ValidationFailed
from backend.core.identity import Identity
from backend.core.ids import is_uuid

MAX_UPLOAD_BYTES = 4 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_EDGE = 1024
MAX_PHOTOS = 4
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


def shrink(data: bytes) -> tuple[bytes, int, int]:
    """The photo as a small JPEG without metadata: (bytes, width, height)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(f"A photo may have at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            if image.format not in FORMATS:
                raise ValidationFailed("Send a JPEG, PNG, WebP or GIF photo")
            if image.width * image.height > MAX_PIXELS:
                raise ValidationFailed("The photo has too many pixels")
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationFailed("This is not a photo the server can read") from exc
    upright.thumbnail((MAX_EDGE, MAX_EDGE))
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=80, optimize=True)  # no exif= argument: metadata dropped
    return out.getvalue(), upright.width, upright.height


def decode(text: str) -> bytes:
    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    if len(payload) > MAX_UPLOAD_BYTES * 4 // 3 + 4:
        raise ValidationFailed(f"A photo may have at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed("The photo must be base64") from exc


def photo_data(photo: PostPhoto) -> dict[str, Any]:
    return {"id": photo.id, "postId": photo.post_id, "position": photo.position, "width": photo.width,
            "height": photo.height}


def record_photo(session: AsyncSession, photo: PostPhoto, post: Post, *, version: int = 1) -> None:
    audiences = posts.visible_to(post.association_id, post.author_id, post.hidden)
    if post.deleted:
        feed.record_change(session, entity_type="PostPhoto", entity_id=photo.id, version=version, data=None,
                           audiences=posts.visible_to(post.association_id, post.author_id, False), op="DELETE")
        return
    feed.record_change(session, entity_type="PostPhoto", entity_id=photo.id, version=version,
                       data=photo_data(photo), audiences=audiences)


async def photos_of(session: AsyncSession, post_ids: list[str]) -> dict[str, list[PostPhoto]]:
    """The photos of many posts in one query (metadata only; the bytes stay deferred)."""
    found: dict[str, list[PostPhoto]] = {pid: [] for pid in post_ids}
    if post_ids:
        rows = await session.scalars(
            sa.select(PostPhoto).options(defer(PostPhoto.data))  # type: ignore[arg-type]
            .where(PostPhoto.post_id.in_(post_ids)).order_by(PostPhoto.post_id, PostPhoto.position)  # type: ignore[attr-defined]
        )
        for photo in rows:
            found[photo.post_id].append(photo)
    return found


async def attach_photo(session: AsyncSession, *, actor_id: str, post_id: str, photo_id: str, data: str) -> PostPhoto:
    if not is_uuid(photo_id):
        raise ValidationFailed("The photo id must be a UUID made by the app")
    raw = decode(data)
    post = await posts.live_post(session, post_id)
    posts.require_owner(post, actor_id)
    if await session.get(PostPhoto, photo_id) is not None:
        raise ValidationFailed("A photo with this id already exists")
    count = len((await photos_of(session, [post.id]))[post.id])
    if count >= MAX_PHOTOS:
        raise ValidationFailed(f"A post has at most {MAX_PHOTOS} photos")
    jpeg, width, height = await asyncio.to_thread(shrink, raw)  # CPU work off the event loop
    photo = PostPhoto(id=photo_id, post_id=post.id, position=count, width=width, height=height, data=jpeg,
                      created_at=utcnow())
    session.add(photo)
    await session.flush()
    record_photo(session, photo, post)
    return photo


async def follow_post(session: AsyncSession, post: Post) -> None:
    """The post was hidden, shown again or deleted: its photos follow it on every device."""
    for photo in (await photos_of(session, [post.id]))[post.id]:
        record_photo(session, photo, post, version=2 if post.deleted else 1)
    if post.deleted:
        await session.execute(sa.delete(PostPhoto).where(PostPhoto.post_id == post.id))  # type: ignore[arg-type]


async def viewable_photo(session: AsyncSession, *, viewer: Identity | None, photo_id: str) -> PostPhoto:
    """A photo for whoever may see its post: members (anyone, for an open association), the
    author of a hidden post, leaders."""
    photo = await session.get(PostPhoto, photo_id)
    if photo is None:
        raise NotFound("No such photo")
    post = await posts.get_post(session, photo.post_id)
    if viewer is not None and (viewer.is_ward_admin or viewer.has_role("LEADER", post.association_id)):
        return photo
    if post.deleted or (post.hidden and (viewer is None or viewer.user_id != post.author_id)):
        raise NotFound("No such photo")
    await access.require_reader(session, viewer, post.association_id, what="photos")
    return photo
