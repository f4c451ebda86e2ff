"""The city's government-service platform (互联网+政务服务, 一件事一次办).

Catalogue (services, 一件事 bundles, life events, departments), applications with uploaded
materials and their status timeline, supplements, e-certificates, and verification of the
platform's signed status webhooks. `client.py` speaks the platform's JSON REST contract
(`docs/government-platform.md`) through the shared upstream client; `wire.py` maps that JSON to
the domain objects of `models.py`; `webhooks.py` checks what the platform pushes to us.
"""

from mychangsha.integrations.government.client import (
    ApplicationRefused,
    GovernmentClient,
    IdempotencyConflict,
    InvalidField,
    InvalidMaterials,
    MissingMaterials,
    SupplementNotExpected,
    UnknownService,
)
from mychangsha.integrations.government.models import (
    Applicant,
    Application,
    ApplicationStatus,
    Certificate,
    FormField,
    GovBundle,
    GovDepartment,
    GovService,
    LifeEvent,
    Material,
    MaterialFile,
    ServiceRef,
    StatusChange,
    SupplementRequest,
    TimelineEntry,
    UploadedMaterial,
)
from mychangsha.integrations.government.webhooks import (
    InvalidWebhook,
    first_delivery,
    verify_webhook,
)

__all__ = [
    "Applicant",
    "Application",
    "ApplicationRefused",
    "ApplicationStatus",
    "Certificate",
    "FormField",
    "GovBundle",
    "GovDepartment",
    "GovService",
    "GovernmentClient",
    "IdempotencyConflict",
    "InvalidField",
    "InvalidMaterials",
    "InvalidWebhook",
    "LifeEvent",
    "Material",
    "MaterialFile",
    "MissingMaterials",
    "ServiceRef",
    "StatusChange",
    "SupplementNotExpected",
    "SupplementRequest",
    "TimelineEntry",
    "UnknownService",
    "UploadedMaterial",
    "first_delivery",
    "verify_webhook",
]
