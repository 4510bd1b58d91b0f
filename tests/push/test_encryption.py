"""What goes over the wire: RFC 8291 bodies, VAPID headers, and payloads that fit a push message."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import http_ece
import jwt
import pytest
import webpush
from cryptography.hazmat.primitives.asymmetric import ec

from backend.push import keys, rules, texts
from backend.push.sender import Sender
from tests.support.fake_push import b64, new_keys, unb64

# RFC 8291 Appendix A.
PLAINTEXT = b"When I grow up, I want to be a watermelon"
AS_PRIVATE = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
UA_PUBLIC = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
UA_PRIVATE = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
SALT = "DGv6ra1nlYgDCS1FRnbzlw"
AUTH = "BTBZMqHH6r4Tts7J_aSIgg"
BODY = ("DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6"
        "PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN")


@pytest.fixture
def sender(tmp_path: Path) -> Sender:
    return Sender(keys.load_or_create(tmp_path), "mailto:bousai@city.example.jp")


def test_the_rfc_8291_appendix_a_example_is_reproduced_byte_for_byte(
    sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_key = ec.derive_private_key(int.from_bytes(unb64(AS_PRIVATE), "big"), ec.SECP256R1())
    # The example's fixed salt and sender key, instead of fresh random ones.
    monkeypatch.setattr(webpush, "os", SimpleNamespace(urandom=lambda n: unb64(SALT)))
    monkeypatch.setattr(webpush, "ec", SimpleNamespace(
        generate_private_key=lambda *_: as_key, SECP256R1=ec.SECP256R1, ECDH=ec.ECDH,
        EllipticCurvePublicKey=ec.EllipticCurvePublicKey,
    ))

    body = sender.encrypt(PLAINTEXT, endpoint="https://push.example.net/x", p256dh=UA_PUBLIC, auth=AUTH)

    assert b64(body) == BODY
    ua_key = ec.derive_private_key(int.from_bytes(unb64(UA_PRIVATE), "big"), ec.SECP256R1())
    assert http_ece.decrypt(body, private_key=ua_key, auth_secret=unb64(AUTH), version="aes128gcm") == PLAINTEXT


def test_a_built_request_decrypts_and_carries_ttl_urgency_topic_and_a_valid_vapid_header(
    sender: Sender, tmp_path: Path
) -> None:
    device = new_keys()
    plaintext = texts.payload(message_id="m1", kind="broadcast", params={"title": "避難指示", "urgency": "EMERGENCY"},
                              locale="ja", tag="post:p1", url="/#/board?post=p1")

    request = sender.build(plaintext, endpoint="http://127.0.0.1:8443/push/a", p256dh=device.p256dh,
                           auth=device.auth, ttl=86400, urgency="high", topic=rules.topic("post:p1"))

    decrypted = http_ece.decrypt(request.body, private_key=device.private, auth_secret=unb64(device.auth),
                                 version="aes128gcm")
    assert json.loads(decrypted)["title"] == "【緊急】避難指示"
    assert {k: request.headers[k] for k in ("TTL", "Urgency", "Content-Encoding")} == {
        "TTL": "86400", "Urgency": "high", "Content-Encoding": "aes128gcm"}
    scheme, _, params = request.headers["Authorization"].partition(" ")
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
    claims = jwt.decode(fields["t"], public, algorithms=["ES256"], audience="http://127.0.0.1")
    assert (scheme, fields["k"]) == ("vapid", keys.load_or_create(tmp_path).application_server_key)
    assert claims["sub"] == "mailto:bousai@city.example.jp"
    assert 0 < claims["exp"] - time.time() <= 24 * 3600


def test_the_vapid_header_is_signed_once_per_push_service_origin(sender: Sender) -> None:
    first = sender.authorization("https://fcm.googleapis.com/fcm/send/a")
    again = sender.authorization("https://fcm.googleapis.com/fcm/send/b")
    other = sender.authorization("https://updates.push.services.mozilla.com/wpush/v2/c")

    assert first == again != other


def test_topics_are_32_url_safe_characters_and_equal_for_the_same_tag() -> None:
    topic = rules.topic("post:0190-abc")

    assert len(topic) == 32 and set(topic) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert topic == rules.topic("post:0190-abc") != rules.topic("post:0190-abd")


@pytest.mark.parametrize("locale, title", [("ja", "【緊急】断水"), ("en", "Emergency: 断水"),
                                           ("ja-easy", "【きんきゅう】断水"), ("vi", "Emergency: 断水")])
def test_payloads_are_in_the_subscribers_language(locale: str, title: str) -> None:
    data = json.loads(texts.payload(message_id="m", kind="broadcast", params={"title": "断水", "urgency": "EMERGENCY"},
                                    locale=locale, tag="post:p", url="/#/board?post=p"))

    assert (data["title"], data["tag"], data["url"], data["id"]) == (title, "post:p", "/#/board?post=p", "m")


def test_a_long_title_is_cut_so_the_payload_stays_within_3993_bytes() -> None:
    data = texts.payload(message_id="m", kind="circular", params={"title": "お知らせ" * 2000}, locale="ja",
                         tag="post:p", url="/#/board?post=p" + "x" * 3000)

    assert len(data) <= texts.MAX_PAYLOAD
    assert json.loads(data)["id"] == "m"
