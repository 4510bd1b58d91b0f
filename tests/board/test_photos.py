"""Photos of posts: re-encoded small on the server, without EXIF, within limits, and seen only
by those who may see the post."""

from __future__ import annotations

import base64
import io
import uuid
from typing import Any

from PIL import Image

from backend.board import photos
from tests.board.street import act, applied, board, create_post, gql, pulled, street
from tests.conftest import Api
from tests.support.client import OutboxClient


def jpeg(width: int, height: int, *, gps: bool = False) -> str:
    image = Image.new("RGB", (width, height), (200, 80, 40))
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (35.0, 44.0, 10.0), 3: "E", 4: (139.0, 44.0, 50.0)}  # GPSInfo
        exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return base64.b64encode(out.getvalue()).decode()


async def attach(api: Api, device: OutboxClient, post_id: str, data: str, photo_id: str | None = None) -> dict[str, Any]:
    variables = {"postId": post_id, "photoId": photo_id or str(uuid.uuid4()), "data": data}
    result: dict[str, Any] = (await gql(api, "AttachPhoto", variables, device))["attachPhoto"]
    return result


async def test_a_photo_is_resized_stripped_of_its_gps_and_shown_to_members(api: Api) -> None:
    s = await street(api)
    author = await s.resident("hanako@example.jp")
    neighbour = await s.resident("tom@example.jp")
    post_id = await create_post(author, s.association_id, title="迷い猫")

    added = await attach(api, author, post_id, jpeg(3000, 2000, gps=True))

    assert (added["__typename"], added["width"], added["height"]) == ("Photo", 1024, 683)
    shown = (await gql(api, "PostPhoto", {"id": added["id"]}, neighbour))["postPhoto"]
    stored = Image.open(io.BytesIO(base64.b64decode(shown["dataBase64"])))
    assert (stored.format, stored.size, shown["contentType"]) == ("JPEG", (1024, 683), "image/jpeg")
    assert dict(stored.getexif()) == {}, "no EXIF, so no GPS position, leaves the server"
    node = (await board(api, neighbour, s.association_id)).body["data"]["board"]["edges"][0]["node"]
    assert node["photoIds"] == [added["id"]]
    await neighbour.pull_all()
    assert pulled(neighbour, "PostPhoto")[str(added["id"])]["postId"] == post_id


async def test_the_board_lists_a_posts_photos_in_the_order_they_were_added(api: Api) -> None:
    s = await street(api)
    author = await s.resident("hanako@example.jp")
    post_id = await create_post(author, s.association_id, title="夏祭りの写真")
    # Ids that sort the other way round, so that only the position can give the order.
    added = [f"{digit * 8}-0000-4000-8000-000000000000" for digit in "f80"]

    for photo_id in added:
        assert (await attach(api, author, post_id, jpeg(40, 30), photo_id))["id"] == photo_id

    node = (await board(api, author, s.association_id)).body["data"]["board"]["edges"][0]["node"]
    assert node["photoIds"] == added


async def test_photos_outside_the_limits_or_from_others_are_refused(api: Api) -> None:
    s = await street(api)
    author = await s.resident("hanako@example.jp")
    neighbour = await s.resident("tom@example.jp")
    post_id = await create_post(author, s.association_id)

    not_image = await attach(api, author, post_id, base64.b64encode(b"<svg onload=alert(1)>").decode())
    not_base64 = await attach(api, author, post_id, "%%%")
    by_neighbour = await attach(api, neighbour, post_id, jpeg(10, 10))
    for _ in range(photos.MAX_PHOTOS):
        assert (await attach(api, author, post_id, jpeg(10, 10)))["__typename"] == "Photo"
    one_too_many = await attach(api, author, post_id, jpeg(10, 10))

    assert [r["code"] for r in (not_image, not_base64, by_neighbour, one_too_many)] == [
        "VALIDATION", "VALIDATION", "FORBIDDEN", "VALIDATION"]


async def test_a_non_member_cannot_fetch_a_photo_and_a_deleted_posts_photos_go(api: Api) -> None:
    s = await street(api)
    author = await s.resident("hanako@example.jp")
    neighbour = await s.resident("tom@example.jp")
    outsider = await api.device("outsider@example.jp")
    post_id = await create_post(author, s.association_id)
    added = await attach(api, author, post_id, jpeg(100, 100))

    stranger = await api.gql.execute("PostPhoto", {"id": added["id"]}, outsider.token)
    applied(await act(author, "deletePost", {"id": post_id}))
    after_delete = await api.gql.execute("PostPhoto", {"id": added["id"]}, neighbour.token)

    assert stranger.body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert after_delete.body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    await neighbour.pull_all()
    assert pulled(neighbour, "PostPhoto") == {}
