"""Push and pull end to end through GraphQL: the promise in its simplest form."""

from __future__ import annotations

from tests.conftest import Api


async def test_a_pushed_profile_change_is_applied_once_and_pulled(api: Api) -> None:
    device = await api.device("hanako@example.jp", "花子")
    device.enqueue("updateProfile", {"displayName": "鈴木 花子"})
    report = await device.drain()
    assert report.stopped_because == "empty"
    [result] = device.results.values()
    assert result["status"] == "APPLIED"
    assert result["entityType"] == "Profile" and result["version"] == 2
    await device.pull_all()
    assert device.replica[("Profile", device.user_id)]["data"]["displayName"] == "鈴木 花子"


async def test_replaying_a_batch_returns_the_first_results_as_duplicates(api: Api) -> None:
    device = await api.device("taro@example.jp")
    device.enqueue("updateProfile", {"displayName": "太郎"})
    device.enqueue("updateProfile", {"displayName": ""})
    batch = list(device.queue)
    first = (await device.send(batch)).body["data"]["push"]
    again = (await device.send(batch)).body["data"]["push"]
    assert [r["status"] for r in first["results"]] == ["APPLIED", "REJECTED"]
    assert [r["status"] for r in again["results"]] == ["DUPLICATE", "DUPLICATE"]
    assert again["results"][0]["version"] == first["results"][0]["version"]
    assert again["results"][0]["changeSeq"] == first["results"][0]["changeSeq"]
    assert again["results"][1]["code"] == "VALIDATION"
    assert again["lastProcessedSeq"] == 2
