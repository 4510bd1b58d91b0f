"""Notification texts in the subscriber's language, and the payload a phone receives.

The payload is small on purpose: an id, a short title and body, a tag and a URL; the app
pulls the rest. A notification's tag is the same for every delivery of the same thing, so a
repeated delivery (a worker that died after sending) replaces the notification instead of
showing it twice.
"""

from __future__ import annotations

import json
from typing import Any

MAX_PAYLOAD = 3993  # the largest plaintext that fits a 4,096-byte aes128gcm push body
MAX_TITLE = 120
MAX_BODY = 240
FALLBACK = "en"  # for languages without their own texts yet

_T: dict[str, dict[str, str]] = {
    "ja": {
        "EMERGENCY": "【緊急】{title}", "IMPORTANT": "【重要】{title}",
        "broadcast.body": "町会からのお知らせです。開いて確認してください。",
        "circular.title": "回覧板: {title}", "circular.body": "新しい回覧板が届きました。",
        "incident.title": "【災害】{name}", "drill.title": "【訓練】{name}",
        "incident.body": "安否を登録してください。",
        "claim.title": "出品に申し込みがありました", "claim.body": "数量 {quantity}。アプリで確認してください。",
        "proxy.title": "あなたの安否が登録されました",
        "proxy.body": "状態: {condition}。違う場合はアプリで更新してください。",
        "SAFE": "無事", "NEED_HELP": "支援が必要", "INJURED": "けが", "MISSING": "行方不明",
        "DECEASED": "死亡",
    },
    "en": {
        "EMERGENCY": "Emergency: {title}", "IMPORTANT": "Important: {title}",
        "broadcast.body": "A notice from your neighbourhood association. Open it to read it.",
        "circular.title": "Circular: {title}", "circular.body": "A new circular has arrived.",
        "incident.title": "Disaster: {name}", "drill.title": "Drill: {name}",
        "incident.body": "Please tell us whether you are safe.",
        "claim.title": "Someone claimed your listing", "claim.body": "Quantity {quantity}. Open the app to arrange it.",
        "proxy.title": "Someone reported your safety status",
        "proxy.body": "Status: {condition}. If this is wrong, update it in the app.",
        "SAFE": "safe", "NEED_HELP": "needs help", "INJURED": "injured", "MISSING": "missing",
        "DECEASED": "deceased",
    },
    "ja-easy": {
        "EMERGENCY": "【きんきゅう】{title}", "IMPORTANT": "【だいじ】{title}",
        "broadcast.body": "ちょうかいから しらせが あります。ひらいて よんで ください。",
        "circular.title": "かいらんばん: {title}", "circular.body": "あたらしい かいらんばんが きました。",
        "incident.title": "【さいがい】{name}", "drill.title": "【くんれん】{name}",
        "incident.body": "あなたが ぶじか おしえて ください。",
        "claim.title": "あなたの ものが ほしい ひとが います", "claim.body": "かず: {quantity}。アプリで みて ください。",
        "proxy.title": "ほかの ひとが あなたの ようすを しらせました",
        "proxy.body": "ようす: {condition}。ちがう ときは アプリで なおして ください。",
        "SAFE": "ぶじ", "NEED_HELP": "たすけが ひつよう", "INJURED": "けが", "MISSING": "ゆくえふめい",
        "DECEASED": "しぼう",
    },
}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(kind: str, params: dict[str, Any], locale: str) -> tuple[str, str]:
    """(title, body) of a message in `locale`."""
    t = _T.get(locale) or _T[FALLBACK]
    if kind == "broadcast":
        return t[params["urgency"]].format(title=params["title"]), t["broadcast.body"]
    if kind == "circular":
        return t["circular.title"].format(title=params["title"]), t["circular.body"]
    if kind == "incident":
        title = t["drill.title" if params.get("is_drill") else "incident.title"]
        return title.format(name=params["name"]), t["incident.body"]
    if kind == "claim":
        return t["claim.title"], t["claim.body"].format(quantity=params.get("quantity", 1))
    if kind == "proxy_checkin":
        condition = t.get(str(params.get("condition")), str(params.get("condition")))
        return t["proxy.title"], t["proxy.body"].format(condition=condition)
    raise ValueError(f"unknown push message kind {kind!r}")


def payload(*, message_id: str, kind: str, params: dict[str, Any], locale: str, tag: str, url: str) -> bytes:
    """The JSON plaintext, never over MAX_PAYLOAD bytes."""
    title, body = render(kind, params, locale)
    data = {"id": message_id, "kind": kind, "title": _clip(title, MAX_TITLE), "body": _clip(body, MAX_BODY),
            "tag": tag, "url": url}
    encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    if len(encoded) > MAX_PAYLOAD:  # only with absurd tags or URLs: drop the texts, keep the id
        data["title"], data["body"] = _clip(title, 40), ""
        encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    if len(encoded) > MAX_PAYLOAD:
        raise ValueError("push payload over 3,993 bytes")
    return encoded
