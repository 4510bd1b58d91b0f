"""The server's VAPID key pair: made on first start in OTAGAI_DATA_DIR, then kept.

The key must never change once phones have subscribed (subscriptions are bound to it), so it
lives on disk beside the other data, readable by the server's user only. Several processes
may start at once (`--workers N`, `otagai worker`): the file is written under a temporary
name and linked into place, so exactly one key wins and every process reads that one.
"""

from __future__ import annotations

import base64
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEY_FILE = "vapid_private.pem"


@dataclass(frozen=True)
class VapidKeys:
    private_pem: bytes
    public_pem: bytes
    application_server_key: str  # base64url of the uncompressed P-256 point, for the PWA


def _from_private_pem(private_pem: bytes) -> VapidKeys:
    private = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey) or not isinstance(private.curve, ec.SECP256R1):
        raise TypeError("the VAPID key must be a P-256 EC private key")
    public = private.public_key()
    point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return VapidKeys(
        private_pem=private_pem,
        public_pem=public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        application_server_key=base64.urlsafe_b64encode(point).rstrip(b"=").decode(),
    )


def _new_private_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_or_create(data_dir: Path) -> VapidKeys:
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".vapid-")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, _new_private_pem())
            os.fsync(fd)
            os.close(fd)
            try:
                os.link(tmp, path)  # fails if another process linked its key first
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return _from_private_pem(path.read_bytes())
