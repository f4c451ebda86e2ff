"""The client's idempotency keys: one rule for every mutation that takes one."""

from __future__ import annotations

import hashlib
import re
from typing import Final

from mychangsha.i18n import msg

_KEY: Final = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
KEY_RULE: Final = msg("8 to 64 letters, digits or - _ . :")


def is_valid_key(key: str) -> bool:
    """Whether a client's key follows KEY_RULE (long enough to be unique, safe to log)."""
    return _KEY.match(key) is not None


def upstream_key(citizen_id: str, key: str) -> str:
    """The key an upstream sees: stable per citizen and key, and neither of them readable."""
    return hashlib.sha256(f"{citizen_id}:{key}".encode()).hexdigest()[:40]
