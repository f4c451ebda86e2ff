"""All configuration, read once from the environment (12-factor); nothing else reads os.environ."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mychangsha.integrations.hospital.models import HOSPITAL_CODE_PATTERN
from mychangsha.integrations.http import UpstreamConfig

APP_WEB_ORIGINS = ("https://mychangsha.cn", "https://m.mychangsha.cn")
"""Where the app's web pages live (the H5 site, and the pages mini-programs open in web-views)."""

LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?"
"""Front-end dev servers on this machine, any port: allowed as origins outside production."""

_ORIGIN = re.compile(r"^https?://[^/\s?#*]+$")


class Settings(BaseSettings):
    """Settings of one graph process; every field maps to an upper-case environment variable."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    mongodb_uri: str | None = None
    mongodb_database: str = "mychangsha"
    redis_url: str | None = None

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1)
    keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        le=600,
        description="How long an idle HTTP connection stays open; longer than any client's or "
        "load balancer's idle timeout, so a request never races the server closing its socket.",
    )
    max_concurrent_operations: int = Field(
        default=200,
        ge=1,
        le=10_000,
        description="GraphQL operations one worker runs at once; later ones wait in arrival "
        "order (admission.py).",
    )
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="`json`: one object per line for log collectors; `text` for a terminal.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    otel_tracing: bool = Field(
        default=False,
        description="Trace operations, resolvers and upstream calls with OpenTelemetry (needs "
        "the `otel` extra; exporter set by the standard OTEL_* variables).",
    )
    subgraph: Literal["identity", "hospital", "government", "tourism", "home"] | None = Field(
        default=None,
        description="Serve one domain as an Apollo Federation v2 subgraph instead of the graph.",
    )

    graphql_ide: bool | None = Field(
        default=None, description="Serve the GraphQL IDE; defaults to on outside production."
    )
    trusted_documents_only: bool | None = Field(
        default=None,
        description="Run only the trusted documents (clients/operations); defaults to on in "
        "production.",
    )
    trusted_documents_dir: Path | None = Field(
        default=None,
        description="Directory of the trusted .graphql operations; defaults to the checkout's "
        "clients/operations when present.",
    )
    trusted_documents_manifest: Path | None = Field(
        default=None,
        description="JSON manifest (sha256 → document) from `mychangsha trusted-documents`; "
        "wins over the directory.",
    )

    master_key: SecretStr | None = Field(
        default=None,
        description="32 random bytes, base64: encrypts ID numbers, phones and signing keys.",
    )
    jwt_issuer: str = "https://api.mychangsha.cn"
    jwt_audience: str = "mychangsha-app"
    access_token_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_token_days: int = Field(default=30, ge=1, le=180)
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=120)
    signing_key_cache_seconds: float = Field(
        default=30.0, gt=0, le=300, description="How soon every process sees a key rotation."
    )
    trusted_proxy_hops: int = Field(
        default=0, ge=0, description="How many X-Forwarded-For hops to trust for client IPs."
    )
    operation_rate_per_ip: int = Field(
        default=600, ge=1, description="GraphQL operations one client IP may run per minute."
    )
    operation_rate_per_citizen: int = Field(
        default=300, ge=1, description="GraphQL operations one citizen may run per minute."
    )
    cors_allowed_origins: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="Browser origins (scheme://host[:port], comma-separated) that may call the "
        "graph cross-origin; defaults to the app's web origins, plus localhost outside "
        "production. Mini-programs' wx.request/my.request send no Origin and need no entry.",
    )
    max_request_body_bytes: int = Field(
        default=1024 * 1024,
        ge=16 * 1024,
        le=16 * 1024 * 1024,
        description="Largest request body other than a multipart upload (JSON operations, "
        "callbacks); a larger one is refused with 413 before it is parsed.",
    )
    strict_transport_security: bool | None = Field(
        default=None,
        description="Send Strict-Transport-Security (browsers then use HTTPS only); defaults "
        "to on in production, where TLS ends in front of the graph.",
    )

    tourism_base_url: str = "http://127.0.0.1:8101"
    sms_base_url: str = "http://127.0.0.1:8102"
    wechat_base_url: str = "http://127.0.0.1:8103"
    realname_base_url: str = "http://127.0.0.1:8104"
    hospital_directory_url: str = "http://127.0.0.1:8105/directory"
    hospital_endpoints: dict[str, str] | None = Field(
        default=None,
        description="Hospital code → FHIR base URL (JSON); when set, the directory is not read.",
    )
    slot_cache_seconds: float = Field(default=5.0, gt=0, le=30)
    response_cache: bool = Field(
        default=True, description="Serve cacheable answers from Redis (and keep them there)."
    )
    answer_budget_ms: int = Field(
        default=800,
        ge=50,
        le=10_000,
        description="Time an answer that fans out to several upstreams (home, myAppointments) "
        "waits for them; a late part is null with UPSTREAM_TIMEOUT, the rest is answered.",
    )
    wechat_app_id: str = "wx-mychangsha-dev"
    wechat_app_secret: SecretStr = SecretStr("dev-wechat-secret")

    payment_base_url: str = "http://127.0.0.1:8106"
    payment_app_id: str = "wx-mychangsha-dev"
    payment_mch_id: str = "1900000109"
    payment_api_v3_key: SecretStr = SecretStr("mychangsha-dev-apiv3-key-0123456")
    payment_merchant_private_key: SecretStr | None = Field(
        default=None, description="PEM of the merchant's RSA key; billPay needs it."
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where the payment gateway reaches this graph (its notification callback).",
    )
    queue_poll_seconds: float = Field(default=5.0, gt=0, le=60)
    government_base_url: str = "http://127.0.0.1:8107"
    government_webhook_secret: SecretStr = Field(
        default=SecretStr("mychangsha-dev-gov-webhook-secret"),
        description="HMAC key the government platform signs status webhooks with (shared).",
    )
    government_poll_seconds: float = Field(
        default=60.0, gt=0, le=3600, description="How often to ask for changes webhooks missed."
    )
    reminder_poll_seconds: float = Field(
        default=300.0,
        gt=0,
        le=3600,
        description="How often one replica turns tomorrow's appointments, unpaid bills and "
        "today's tickets into notifications.",
    )
    booking_pending_grace_seconds: float = Field(
        default=600.0,
        gt=0,
        description="How long a booking may stay half way (claimed, not settled) before the "
        "reminder jobs finish it as the citizen's retry would.",
    )
    upstream_connect_timeout: float = 1.0
    upstream_read_timeout: float = 3.0
    upstream_retries: int = 2
    upstream_breaker_threshold: int = 5
    upstream_breaker_cooldown: float = 10.0

    crowd_cache_seconds: float = Field(default=30.0, gt=0, le=30.0)
    crowd_poll_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How often one replica reads crowd levels for crowdLevelChanged "
        "(only while someone subscribes).",
    )
    catalogue_sync_seconds: float = 900.0
    catalogue_sync_on_start: bool = Field(
        default=True,
        description="At start, fill the mirrors nobody filled within CATALOGUE_SYNC_SECONDS "
        "(a fresh database); replicas starting beside a running graph skip it.",
    )

    @field_validator("hospital_endpoints")
    @classmethod
    def _check_hospital_codes(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        """A code names the hospital's upstream and prefixes its ids: no slashes, no spaces."""
        for code in value or {}:
            if not re.match(HOSPITAL_CODE_PATTERN, code):
                raise ValueError(
                    f"hospital code {code!r} must be lower-case letters, digits and dashes"
                )
        return value

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """Comma-separated in the environment; each an exact origin, or it would never match.

        A trailing slash or a path (`https://m.mychangsha.cn/`) is the usual mistake: a
        browser's Origin never has one, so such an entry would silently allow nobody.
        """
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list | tuple):
            return value  # None, or something pydantic refuses with its own message
        origins = [str(part).strip() for part in value if str(part).strip()]
        for origin in origins:
            if not _ORIGIN.match(origin):
                raise ValueError(f"not an origin (scheme://host[:port], no path): {origin!r}")
        return origins

    @property
    def cors_origins(self) -> list[str]:
        """The exact origins browsers may call from (see `cors_allowed_origins`)."""
        if self.cors_allowed_origins is None:
            return list(APP_WEB_ORIGINS)
        return self.cors_allowed_origins

    @property
    def cors_origin_pattern(self) -> str | None:
        """Origins allowed by pattern: local dev servers, only while the list is the default."""
        if self.cors_allowed_origins is None and not self.is_production:
            return LOCAL_ORIGINS
        return None

    @property
    def hsts_enabled(self) -> bool:
        """HSTS is on in production unless explicitly set."""
        if self.strict_transport_security is None:
            return self.is_production
        return self.strict_transport_security

    @property
    def is_production(self) -> bool:
        """Production hardens defaults (no IDE, no introspection)."""
        return self.environment == "production"

    @property
    def trusted_only(self) -> bool:
        """Only trusted documents run in production, unless explicitly set."""
        if self.trusted_documents_only is None:
            # A subgraph runs the gateway's query plans; the gateway checks the documents.
            return self.is_production and self.subgraph is None
        return self.trusted_documents_only

    @property
    def ide_enabled(self) -> bool:
        """The IDE is on unless production, or unless explicitly set."""
        return (not self.is_production) if self.graphql_ide is None else self.graphql_ide

    def upstream(self, name: str, base_url: str) -> UpstreamConfig:
        """One upstream's client settings, sharing the global timeouts and breaker policy."""
        return UpstreamConfig(
            name=name,
            base_url=base_url,
            connect_timeout=self.upstream_connect_timeout,
            read_timeout=self.upstream_read_timeout,
            retries=self.upstream_retries,
            breaker_threshold=self.upstream_breaker_threshold,
            breaker_cooldown=self.upstream_breaker_cooldown,
        )

    def tourism_upstream(self) -> UpstreamConfig:
        """The tourism platform."""
        return self.upstream("tourism", self.tourism_base_url)
