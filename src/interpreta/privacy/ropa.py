"""Records of processing activities (Art. 30 GDPR), generated from the data map.

Art. 30(1): the record the operator keeps as controller, one entry per
processing activity that touches data it decides about, with fields (a)-(g).
Art. 30(2): the record it keeps as processor, for its customers (each a
controller), covering the activities that touch data the customers decide
about, with fields (a)-(d). Both are read from the activities
(:mod:`interpreta.datamap.activities`), the column declarations and the
processor register, like the notice.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import MetaData

from interpreta.config import Settings
from interpreta.datamap.activities import ACTIVITIES
from interpreta.datamap.declarations import Personal
from interpreta.datamap.processors import Processor
from interpreta.datamap.vocabulary import Scope
from interpreta.privacy.summary import (
    ActivityUse,
    activity_use,
    fields_by_category,
    in_eea,
    rules_of,
)

SECURITY_MEASURES = (
    "TLS for every public connection (HTTPS, secure WebSocket, DTLS-SRTP for media); "
    "confidential fields encrypted at rest with AES-256-GCM under per-organisation keys; "
    "passwords stored as Argon2id hashes; role-based access limited to each customer's own "
    "organisation; retention rules enforced automatically; audit trail of staff access; "
    "encrypted backups whose restore is tested."
)


def _processor_entry(p: Processor) -> str:
    return f"{p.name} ({p.function}; {p.country.upper()})"


def _recipients(use: ActivityUse, processors: list[Processor]) -> list[str]:
    found = [*use.activity.shared_with, *(_processor_entry(p) for p in processors)]
    return found or ["none: the data stays with the operator"]


def _transfers(processors: list[Processor]) -> list[str]:
    found = [
        f"{p.name}, {p.country.upper()}: safeguard {p.safeguard or 'none recorded'}"
        for p in processors
        if not in_eea(p)
    ]
    return found or ["none: no transfer outside the EU/EEA"]


def _receiving(use: ActivityUse, declarations: list[Personal]) -> list[Processor]:
    """The activity's processors that receive any category of `declarations`."""
    used = {d.category.value for d in declarations}
    return [p for p in use.recipients if used & set(p.categories)]


def _categories(declarations: list[Personal]) -> list[str]:
    return [
        f"{category.label}: {', '.join(names)}"
        for category, names in fields_by_category(declarations)
    ]


def _security(declarations: list[Personal]) -> str:
    encrypted = sorted({d.description for d in declarations if d.confidential})
    if not encrypted:
        return SECURITY_MEASURES
    return f"{SECURITY_MEASURES} Fields encrypted at rest here: {', '.join(encrypted)}."


def _controller_identity(settings: Settings) -> dict[str, str]:
    return {
        "controller": f"{settings.operator_name}, {settings.operator_address}, "
        f"{settings.operator_email}",
        "data_protection_officer": f"{settings.dpo.name}, {settings.dpo.email}",
    }


def _uses(metadata: MetaData, settings: Settings, scope: Scope) -> list[ActivityUse]:
    """The activities that touch data `scope` decides about, in the order of ``ACTIVITIES``."""
    uses = [activity_use(metadata, settings, a) for a in ACTIVITIES]
    return [u for u in uses if u.scoped(scope)]


def controller_record(metadata: MetaData, settings: Settings) -> dict[str, Any]:
    """Art. 30(1): one entry per activity touching data the operator decides about."""
    activities = []
    for use in _uses(metadata, settings, Scope.CONTROLLER):
        declared = use.scoped(Scope.CONTROLLER)
        processors = _receiving(use, declared)
        activity = use.activity
        activities.append(
            {
                "activity": activity.title,
                "key": activity.key,
                "a_controller_and_dpo": _controller_identity(settings),
                "b_purposes": [
                    *(p.label for p in activity.purposes),
                    f"legal basis: {activity.basis.label}",
                ],
                "c_data_subjects": [s.label for s in activity.subjects],
                "c_data_categories": _categories(declared),
                "d_recipients": _recipients(use, processors),
                "e_third_country_transfers": _transfers(processors),
                "f_erasure_time_limits": [r.describe() for r in rules_of(declared)],
                "g_security_measures": _security(declared),
            }
        )
    return {"article": "30(1)", "activities": activities}


def processor_record(
    metadata: MetaData, settings: Settings, customers: list[tuple[str, str | None]] | None = None
) -> dict[str, Any]:
    """Art. 30(2): the processing done on behalf of the customers (the controllers);
    `customers` are the active customers' names and contact addresses, when known."""
    uses = _uses(metadata, settings, Scope.PROCESSOR)
    declared = [d for u in uses for d in u.scoped(Scope.PROCESSOR)]
    processors = list(
        {p.name: p for u in uses for p in _receiving(u, u.scoped(Scope.PROCESSOR))}.values()
    )
    controllers: list[str] = ["each customer organisation of the platform"]
    if customers is not None:
        controllers = [f"{name} ({email or 'contact on file'})" for name, email in customers] or [
            "no customer yet"
        ]
    processing = [
        f"{u.activity.title} ({'; '.join(p.label for p in u.activity.purposes)}): "
        + ", ".join(c.label for c, _names in fields_by_category(u.scoped(Scope.PROCESSOR)))
        for u in uses
    ]
    return {
        "article": "30(2)",
        "a_processor_controllers_and_dpo": {
            "processor": _controller_identity(settings)["controller"],
            "data_protection_officer": _controller_identity(settings)["data_protection_officer"],
            "controllers": controllers,
            "sub_processors": [_processor_entry(p) for p in processors] or ["none"],
        },
        "b_categories_of_processing": processing,
        "c_third_country_transfers": _transfers(processors),
        "d_security_measures": _security(declared),
    }


def records(
    metadata: MetaData, settings: Settings, customers: list[tuple[str, str | None]] | None = None
) -> dict[str, Any]:
    """Both records."""
    return {
        "controller_record": controller_record(metadata, settings),
        "processor_record": processor_record(metadata, settings, customers),
    }


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_flatten(v) for v in value)
    return str(value)


def to_csv(document: dict[str, Any]) -> str:
    """Both records as CSV: record, activity, field, value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["record", "activity", "field", "value"])
    for activity in document["controller_record"]["activities"]:
        for key, value in activity.items():
            if key not in ("activity", "key"):
                writer.writerow(["Art. 30(1)", activity["activity"], key, _flatten(value)])
    for key, value in document["processor_record"].items():
        if key != "article":
            writer.writerow(
                ["Art. 30(2)", "processing on behalf of customers", key, _flatten(value)]
            )
    return buffer.getvalue()
