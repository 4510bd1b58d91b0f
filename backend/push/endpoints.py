"""Which push endpoints the server will POST to (SSRF): https, a known push service, a public address.

A subscription's endpoint is a URL chosen by a client, and the worker sends requests to it;
without these checks any signed-in user could make the server call its own network
(127.0.0.1, 10.x, the cloud metadata address 169.254.169.254…). The host must be on the
allow-list, and every address it resolves to must be public: a listed name that resolves to
a private address stays refused. Tests alone may allow `http://127.0.0.1:<port>/…`
(OTAGAI_PUSH_ALLOW_LOOPBACK), for the local fake push service.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from backend.core.errors import DomainError

MAX_ENDPOINT = 2048
Resolver = Callable[[str, int], Awaitable[list[str]]]


class EndpointNotAllowed(DomainError):
    code = "ENDPOINT_NOT_ALLOWED"


class Unresolvable(EndpointNotAllowed):
    """DNS gave no answer: refused when subscribing, but only a network error when sending."""


async def resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        ip = ip.ipv4_mapped or ip.sixtofour or ip
    return ip.is_global and not ip.is_multicast


def host_listed(host: str, allowed: Iterable[str]) -> bool:
    """Exact names, or `.example.com` / `*.example.com` for any subdomain."""
    for entry in allowed:
        entry = entry.lower()
        if entry.startswith("*."):
            entry = entry[1:]
        if host == entry or (entry.startswith(".") and host.endswith(entry)):
            return True
    return False


def _loopback_test_endpoint(scheme: str, host: str, port: int | None) -> bool:
    return scheme in ("http", "https") and host == "127.0.0.1" and port is not None


async def check_endpoint(
    endpoint: str, *, allowed_hosts: Iterable[str], allow_loopback: bool, resolver: Resolver = resolve
) -> list[str]:
    """The addresses the server may connect to for this endpoint; else EndpointNotAllowed."""
    if not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise EndpointNotAllowed("The push endpoint is missing or too long")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise EndpointNotAllowed("The push endpoint is not a valid URL") from None
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise EndpointNotAllowed("The push endpoint must not carry credentials or a fragment")
    if allow_loopback and _loopback_test_endpoint(parts.scheme, host, port):
        return [host]
    if parts.scheme != "https":
        raise EndpointNotAllowed("Push endpoints must use https")
    if port not in (None, 443):
        raise EndpointNotAllowed("Push endpoints use the standard https port")
    if not host_listed(host, allowed_hosts):
        raise EndpointNotAllowed(f"{host or 'This host'} is not a known push service")
    try:
        addresses = [host] if _is_ip_literal(host) else await resolver(host, 443)
    except OSError:
        raise Unresolvable(f"{host} could not be resolved") from None
    if not addresses or not all(is_public(a) for a in addresses):
        raise EndpointNotAllowed(f"{host} resolves to a private, loopback or link-local address")
    return addresses


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
