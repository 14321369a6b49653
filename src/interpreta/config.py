"""Settings, read from the environment (prefix ``INTERPRETA_``) and a ``.env`` file.

Complex values (the processor register) are given as JSON, e.g.
``INTERPRETA_PROCESSORS='[{"name": "...", ...}]'``, or in a JSON file named by
``INTERPRETA_PROCESSORS_FILE``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from interpreta.datamap.processors import Processor


def is_loopback(host: str) -> bool:
    """Whether `host` is the machine itself (plain HTTP is allowed there, for development)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_ICE_URL = re.compile(
    r"(?P<scheme>stun|turns?):(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?(?:\?transport=(?P<transport>udp|tcp))?"
)
_ICE_URL_FORMS = {
    "stun": "stun:HOST[:PORT] (RFC 7064)",
    "turn": "turn:HOST[:PORT][?transport=udp|tcp] or turns:HOST[:PORT][?transport=tcp] (RFC 7065)",
}


def ice_url(url: str, kind: Literal["stun", "turn"]) -> str:
    """`url` if it is a STUN (``stun:``) or TURN (``turn:``, ``turns:``) URL browsers take.

    :raises ValueError: naming the URL, what is wrong with it and the form it should have.
    """
    match = _ICE_URL.fullmatch(url.strip())
    wanted = ("stun",) if kind == "stun" else ("turn", "turns")
    problem = None
    if match is None or match["scheme"] not in wanted:
        problem = f"not a {kind.upper()} URL"
    elif match["scheme"] == "stun" and match["transport"] is not None:
        problem = "a STUN URL has no transport"
    elif match["port"] is not None and not 0 < int(match["port"]) < 65536:
        problem = "its port is out of range"
    elif match["host"].startswith("["):
        try:
            ipaddress.IPv6Address(match["host"][1:-1])
        except ValueError:
            problem = "its IPv6 address is malformed"
    elif match["scheme"] == "turns" and match["transport"] == "udp":
        problem = "turns: runs over TLS, so its transport is tcp"
    if problem is not None:
        raise ValueError(f"{url!r}: {problem}; write {_ICE_URL_FORMS[kind]}")
    return url.strip()


def _url_list(value: Any) -> Any:
    """A list of URLs from the environment: JSON (``["a", "b"]``) or comma-separated."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


def _stun_urls(value: list[str]) -> list[str]:
    return [ice_url(url, "stun") for url in value]


def _turn_urls(value: list[str]) -> list[str]:
    return [ice_url(url, "turn") for url in value]


class Contact(BaseModel):
    """A named contact: the data protection officer, or the supervisory authority."""

    name: str
    email: str = ""
    address: str = ""
    url: str = ""


class Seller(BaseModel):
    """The operator as its invoices name it (the seller of EN 16931's BG-4)."""

    name: str = "Interpreta Example GmbH"
    street: str = "Musterstraße 1"
    postcode: str = "10115"
    city: str = "Berlin"
    country: str = Field(default="DE", pattern="^[A-Z]{2}$")
    vat_id: str = "DE123456789"
    registration: str = Field(
        default="HRB 123456 B, Amtsgericht Berlin-Charlottenburg",
        description="The trade register entry (EN 16931 BT-30).",
    )
    email: str = "billing@interpreta.example"
    iban: str | None = "DE02120300000000202051"
    bic: str | None = "BYLADEM1001"


def _default_processors() -> list[Processor]:
    return [
        Processor(
            name="Hosting provider (configure INTERPRETA_PROCESSORS)",
            function="hosting of the platform's servers and database",
            categories=["identifiers", "account", "technical", "connection", "meeting_content"],
            country="DE",
            safeguard="EU/EEA",
        )
    ]


class Settings(BaseSettings):
    """All configuration of one Interpreta deployment."""

    model_config = SettingsConfigDict(
        env_prefix="INTERPRETA_", env_file=".env", extra="ignore", env_nested_delimiter="__"
    )

    data_dir: Path = Field(default=Path("interpreta-data"), description="Where state is kept.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite in the data directory when unset."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    tls_proxy: bool = Field(
        default=False,
        description=(
            "Run behind a TLS-terminating proxy: trust its X-Forwarded-Proto and "
            "X-Forwarded-For (from forwarded_allow_ips) instead of serving TLS itself."
        ),
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1", description="The proxies whose forwarded headers are trusted."
    )

    @property
    def requires_tls(self) -> bool:
        """Whether this deployment must refuse plain HTTP (P21): any address but loopback."""
        return not is_loopback(self.host)

    secure_cookies: bool = True
    session_days: int = 14
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=64)
    demo: bool = Field(default=False, description="Create the demo organisation and event.")

    operator_name: str = "Interpreta demo operator"
    operator_address: str = "Example Street 1, 10115 Berlin, Germany"
    operator_email: str = "privacy@interpreta.example"
    dpo: Contact = Contact(name="Data Protection Officer", email="dpo@interpreta.example")
    operator_language: Literal["en", "de", "fr", "es", "it"] = Field(
        default="en",
        description="The language of the mails to the operator's own staff (the DPO's "
        "escalations).",
    )
    seller: Seller = Field(
        default_factory=Seller,
        description="The operator's name, address, VAT ID and bank account on its invoices.",
    )
    invoice_currency: str = Field(
        default="EUR", pattern="^[A-Z]{3}$", description="The currency invoices are in."
    )
    payment_days: int = Field(default=14, ge=0, le=120, description="Days an invoice gives to pay.")
    support_email: str = Field(
        default="support@interpreta.example",
        description="The support desk's address: replies come from it, mail to it opens "
        "tickets (through the SMTP intake).",
    )
    support_hours: str = Field(
        default="mon-fri 09:00-17:00",
        description="When the support desk works, e.g. 'mon-fri 09:00-17:00; sat 10:00-14:00'.",
    )
    support_timezone: str = "Europe/Berlin"
    support_country: str | None = Field(
        default="DE", description="Whose public holidays the desk is closed on."
    )
    support_subdivision: str | None = Field(
        default="BE", description="The region of those holidays (Berlin)."
    )
    support_first_response_hours: int = Field(
        default=24, ge=1, le=720, description="SLA for a customer without a plan."
    )
    support_resolution_hours: int = Field(
        default=80, ge=1, le=2000, description="SLA for a customer without a plan."
    )
    support_escalation_email: str = Field(
        default="support-lead@interpreta.example",
        description="Who is told of tickets past their SLA.",
    )
    support_smtp_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="The port the SMTP intake listens on (unset: no intake).",
    )
    support_interval_minutes: int = Field(
        default=10, ge=0, description="How often tickets past their SLA are escalated (0: off)."
    )
    support_smtp_host: str = Field(
        default="127.0.0.1", description="The address the SMTP intake listens on."
    )
    webhook_interval_seconds: int = Field(
        default=15, ge=0, description="How often due webhook deliveries are sent (0: off)."
    )
    supervisory_authority: Contact = Contact(
        name="Berlin Commissioner for Data Protection and Freedom of Information",
        url="https://www.datenschutz-berlin.de",
    )
    processors: list[Processor] = Field(default_factory=_default_processors)
    processors_file: Path | None = None

    content_retention_min_days: int = Field(default=1, ge=0)
    content_retention_max_days: int = Field(default=365, ge=0)

    media_host: str = Field(
        default="127.0.0.1",
        description="The address the embedded media plane offers WebRTC media on.",
    )
    media_backend: Literal["embedded", "janus"] = Field(
        default="embedded",
        description=(
            "The media plane: the embedded aiortc forwarder, or a Janus server (janus_url)."
        ),
    )
    video_codec: Literal["VP8", "H264"] = Field(
        default="VP8",
        description=(
            "The codec of every camera, screen and recording of the stage: forwarded as "
            "the browsers encode it, never transcoded, so all video of a deployment uses "
            "one codec. VP8 (every browser sends it), or H.264 (hardware encoders)."
        ),
    )
    janus_url: str = Field(
        default="ws://127.0.0.1:8188",
        description=(
            "The Janus API's WebSocket (media_backend=janus); never on a public address. "
            "Several, comma-separated, make a fleet that survives the loss of one: each "
            "server's mountpoints then listen on the address its URL names."
        ),
    )
    janus_admin_url: str | None = Field(
        default=None,
        description="The Janus Admin API's WebSocket, for packet counters (optional).",
    )
    janus_admin_secret: str | None = Field(
        default=None, repr=False, description="Janus's admin_secret (with janus_admin_url)."
    )
    rtmp_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description=(
            "The port encoders publish RTMP room feeds to (the app runs nginx with Debian's "
            "RTMP module on it; see docs/ingest.md); unset: no RTMP ingest."
        ),
    )
    rtmp_host: str = Field(
        default="0.0.0.0", description="The address the RTMP ingest listens on (rtmp_port)."
    )

    redis_url: str | None = Field(
        default=None,
        description=(
            "Redis (redis://, rediss:// or unix://) for what several app nodes share: live "
            "state, microphone leases, presence; unset: one node, in memory."
        ),
    )
    node_name: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        description="This app node's name, unique in the deployment (default: host and pid).",
    )
    stun_urls: Annotated[
        list[str], NoDecode, BeforeValidator(_url_list), AfterValidator(_stun_urls)
    ] = Field(
        default_factory=list,
        description="STUN servers the browsers use (stun:HOST[:PORT]), comma-separated.",
    )
    turn_urls: Annotated[
        list[str], NoDecode, BeforeValidator(_url_list), AfterValidator(_turn_urls)
    ] = Field(
        default_factory=list,
        description=(
            "TURN servers the browsers relay through when no direct path works "
            "(turn:HOST[:PORT][?transport=udp|tcp], turns:HOST[:PORT]), comma-separated; "
            "they need turn_secret."
        ),
    )
    turn_secret: str | None = Field(
        default=None,
        repr=False,
        description=(
            "The TURN server's shared secret (coturn: use-auth-secret, static-auth-secret), "
            "from which each client gets time-limited credentials."
        ),
    )
    turn_credential_hours: int = Field(
        default=24,
        ge=1,
        le=168,
        description=(
            "How long the TURN credentials a client gets when it connects open new relay "
            "allocations (see docs/media.md)."
        ),
    )

    smtp_host: str | None = Field(
        default=None, description="SMTP server; unset: mails go to the outbox folder."
    )
    smtp_port: int = 25
    smtp_from: str = "privacy@interpreta.example"
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_starttls: bool = Field(
        default=True, description="Upgrade SMTP to TLS (P21); false only for a local relay."
    )
    outbox_dir: Path | None = Field(
        default=None, description="Where mails are written without SMTP (default: data/outbox)."
    )
    dkim_selector: str = Field(
        default="interpreta",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$",
        description="The DKIM selector every mail is signed under (docs/mail.md).",
    )
    dkim_domain: str | None = Field(
        default=None, description="The signing domain (default: the domain of smtp_from)."
    )
    dkim_key_file: Path | None = Field(
        default=None,
        description="RSA private key (PEM) signing mail (default: data/secrets/dkim.pem, "
        "generated on first use).",
    )
    dsr_due_days: int = Field(
        default=25, ge=1, le=31, description="Days to answer a rights request (P34), <= 1 month."
    )
    dsr_link_hours: int = Field(default=24, ge=1, le=168)
    account_link_hours: int = Field(
        default=24, ge=1, le=168, description="How long a link proving an email address works."
    )
    password_reset_minutes: int = Field(
        default=60, ge=5, le=1440, description="How long a password reset link works."
    )
    invitation_days: int = Field(
        default=7, ge=1, le=30, description="How long an invitation to an organisation stands."
    )
    probe_token: str | None = Field(
        default=None,
        repr=False,
        description="The secret a synthetic-join prober sends with its results (P23); unset: "
        "no results are taken.",
    )
    uptime_target: float = Field(
        default=0.95, gt=0, le=1, description="The availability target shown on /status (P23)."
    )

    retention_interval_minutes: int = Field(
        default=60, ge=0, description="How often the server applies retention rules; 0: never."
    )
    registration_interval_seconds: int = Field(
        default=60,
        ge=0,
        description="How often the server mails updated invitations, reminders and survey "
        "links; 0: never.",
    )
    calendar_sync_minutes: int = Field(
        default=15,
        ge=0,
        description="How often connected calendars get the organisers' events and their "
        "address books are imported again; 0: never.",
    )
    newsletter_interval_seconds: int = Field(
        default=30, ge=0, description="How often the server sends the newsletter's queue; 0: never."
    )
    audit_root_file: Path | None = Field(
        default=None,
        description=(
            "Where signed heads of the audit trail are appended, hourly and by "
            "'interpreta audit publish' (default: data/published/audit-roots.jsonl); "
            "keep a copy off this machine."
        ),
    )
    rate_limit_storage: str = Field(
        default="memory://", description="Where rate-limit counters live: memory:// or redis://..."
    )
    rate_sign_in_failures_per_account: str = "5/15 minutes"
    rate_sign_in_attempts_per_client: str = "20/minute"
    rate_sign_ups_per_client: str = "5/hour"
    rate_requests_per_address: str = "3/day"
    rate_requests_per_client: str = "10/hour"
    rate_mails_per_address: str = "5/hour"
    rate_mails_per_client: str = "20/hour"
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="The largest request body accepted (bytes)."
    )
    meeting_file_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        le=100 * 1024 * 1024,
        description="The largest file a participant may share in an event (bytes).",
    )
    activity_checks: Literal["enforce", "log"] = Field(
        default="enforce",
        description=(
            "What happens when code touches personal data its processing activity does not "
            "declare (P02): 'enforce' refuses it (tests, development), 'log' logs an error "
            "(production)."
        ),
    )

    @field_validator("janus_url")
    @classmethod
    def _janus_urls(cls, value: str) -> str:
        for url in value.split(","):
            if not url.strip().startswith(("ws://", "wss://")):
                raise ValueError("janus_url must be ws:// or wss:// URLs, comma-separated")
        return value

    @property
    def janus_urls(self) -> list[str]:
        """The Janus servers: one, or a fleet."""
        return [url.strip() for url in self.janus_url.split(",") if url.strip()]

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis_url must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _load_processors_file(self) -> Settings:
        if self.processors_file is not None:
            raw = json.loads(self.processors_file.read_text(encoding="utf-8"))
            self.processors = [Processor.model_validate(item) for item in raw]
        if self.content_retention_min_days > self.content_retention_max_days:
            raise ValueError("content_retention_min_days exceeds content_retention_max_days")
        if self.turn_urls and not self.turn_secret:
            raise ValueError(
                "turn_urls need turn_secret (INTERPRETA_TURN_SECRET): the TURN server's "
                "static-auth-secret, from which clients get time-limited credentials"
            )
        if self.turn_secret and not self.turn_urls:
            raise ValueError("turn_secret is set but turn_urls (INTERPRETA_TURN_URLS) is empty")
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one, or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'interpreta.db').resolve()}"

    @property
    def several_nodes(self) -> bool:
        """Whether this node shares its live state with others (Redis is configured)."""
        return self.redis_url is not None

    def several_nodes_problem(self) -> str | None:
        """Why these settings cannot run as one of several nodes, if they cannot: live
        state, data and media must be shared, so several nodes need Redis (``redis_url``),
        PostgreSQL (``database_url``) and Janus (``media_backend=janus``)."""
        if not self.several_nodes:
            return None
        missing = []
        if not self.resolved_database_url.startswith("postgresql"):
            missing.append("PostgreSQL (INTERPRETA_DATABASE_URL): SQLite is one file of one node")
        if self.media_backend != "janus":
            missing.append(
                "Janus (INTERPRETA_MEDIA_BACKEND=janus): the embedded media plane lives inside "
                "one process"
            )
        if not missing:
            return None
        return "several nodes (INTERPRETA_REDIS_URL is set) need " + "; and ".join(missing) + "."

    @property
    def base_url(self) -> str:
        """The URL people reach the platform at."""
        return self.public_url or f"http://{self.host}:{self.port}"
