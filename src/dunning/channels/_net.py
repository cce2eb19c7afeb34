"""What the network channels share: the TLS context they verify servers with, and the delay
between retries."""

from __future__ import annotations

import ipaddress
import random
import ssl
from pathlib import Path

#: The longest wait between two attempts, in seconds.
MAX_BACKOFF = 60.0


def tls_context(cafile: str | Path | None, verify: bool) -> ssl.SSLContext:
    """A client TLS context: the system's trusted CAs (or ``cafile``), the host name and the
    certificate checked unless ``verify`` is False (which the caller says out loud)."""
    context = ssl.create_default_context(cafile=None if cafile is None else str(cafile))
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def backoff(base: float, attempt: int, rng: random.Random | None = None) -> float:
    """The wait before retry ``attempt`` (0 first): ``base`` doubled each time, at most
    `MAX_BACKOFF`, less a random part of up to half (jitter, so many clients that failed
    together do not retry together); without ``rng`` no jitter."""
    full = min(MAX_BACKOFF, base * 2.0**attempt)
    return full if rng is None else full * (1 - rng.random() / 2)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost`` or a loopback address), where a plain,
    unencrypted connection goes nowhere else."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
