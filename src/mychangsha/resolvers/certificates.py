"""E-certificates (电子证照): the platform's records, a signed QR payload, a download link.

The QR payload is a compact JWS of the certificate's public facts, signed with the graph's
keys: a clerk's app verifies it offline against `/.well-known/jwks.json`. Downloads go
through a short-lived signed link, so the PDF can be opened by a browser or a viewer that
cannot send the citizen's access token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mychangsha.auth.idcard import mask_id_number
from mychangsha.auth.jws import InvalidSignedPayload, sign, verify_offline
from mychangsha.context import Context
from mychangsha.integrations.government.models import Certificate
from mychangsha.platform.clock import epoch_seconds
from mychangsha.resolvers.patients import verified_citizen
from mychangsha.services import Services

QR_TYPE = "cert+jws"
DOWNLOAD_TYPE = "download+jws"
DOWNLOAD_PATH = "/downloads/certificates"
DOWNLOAD_SECONDS = 300


@dataclass(frozen=True)
class SignedCertificate:
    """A certificate with its QR payload and a download link."""

    certificate: Certificate
    qr_payload: str
    download_url: str


async def my_certificates(context: Context) -> list[SignedCertificate]:
    """The caller's e-certificates (level 2: they are looked up by ID number)."""
    citizen = await verified_citizen(context)
    services = context.services
    certificates = await services.government.certificates(citizen.id_number or "")
    return [await _signed(services, c, citizen.id) for c in certificates]


async def _signed(
    services: Services, certificate: Certificate, citizen_id: str
) -> SignedCertificate:
    keys = services.identity.keys
    qr = await sign(
        keys,
        {
            "certificateId": certificate.id,
            "type": certificate.type,
            "number": certificate.number,
            "holder": certificate.holder_name,
            "issuer": certificate.issuer,
            "issuedOn": certificate.issued_on.isoformat(),
            "validUntil": None
            if certificate.valid_until is None
            else certificate.valid_until.isoformat(),
        },
        typ=QR_TYPE,
    )
    link = await sign(
        keys,
        {
            "sub": citizen_id,
            "certificateId": certificate.id,
            "exp": int(epoch_seconds()) + DOWNLOAD_SECONDS,
        },
        typ=DOWNLOAD_TYPE,
    )
    base = services.settings.public_base_url.rstrip("/")
    return SignedCertificate(certificate, qr, f"{base}{DOWNLOAD_PATH}/{certificate.id}?t={link}")


async def download(services: Services, certificate_id: str, token: str) -> bytes | None:
    """The certificate's PDF if the link is genuine, unexpired and names this certificate."""
    try:
        claims = verify_offline(
            token, await services.identity.keys.jwks(), typ=DOWNLOAD_TYPE, leeway=0
        )
    except InvalidSignedPayload:
        return None
    if claims.get("certificateId") != certificate_id:
        return None
    return await services.government.certificate_file(certificate_id)


def masked_holder_id(data: dict[str, Any]) -> str | None:
    """A holder ID number in a certificate's data, masked for display."""
    value = data.get("idNumber")
    return mask_id_number(value) if isinstance(value, str) else None
