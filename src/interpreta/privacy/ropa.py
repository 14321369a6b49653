"""Records of processing activities (Art. 30 GDPR), generated from the data map.

Art. 30(1): the record the operator keeps as controller, one activity per
purpose, with fields (a)-(g). Art. 30(2): the record it keeps as processor, per
customer (each a controller), with fields (a)-(d).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import MetaData

from interpreta.config import Settings
from interpreta.datamap.declarations import personal_fields
from interpreta.datamap.processors import EEA_COUNTRIES, Processor
from interpreta.datamap.vocabulary import Purpose, Scope

SECURITY_MEASURES = (
    "TLS for every public connection (HTTPS, secure WebSocket, DTLS-SRTP for media); "
    "confidential fields encrypted at rest with AES-256-GCM under per-organisation keys; "
    "passwords stored as Argon2id hashes; role-based access limited to each customer's own "
    "organisation; retention rules enforced automatically; audit trail of staff access; "
    "encrypted backups whose restore is tested."
)


def _processor_entry(p: Processor) -> str:
    return f"{p.name} ({p.function}; {p.country.upper()})"


def _transfers(processors: list[Processor], categories: set[str]) -> list[str]:
    found = []
    for p in processors:
        if p.country.upper() in EEA_COUNTRIES or not categories.intersection(p.categories):
            continue
        found.append(f"{p.name}, {p.country.upper()}: safeguard {p.safeguard}")
    return found or ["none: no transfer outside the EU/EEA"]


def _recipients(processors: list[Processor], categories: set[str]) -> list[str]:
    return [_processor_entry(p) for p in processors if categories.intersection(p.categories)] or [
        "none"
    ]


def _controller_identity(settings: Settings) -> dict[str, str]:
    return {
        "controller": f"{settings.operator_name}, {settings.operator_address}, "
        f"{settings.operator_email}",
        "data_protection_officer": f"{settings.dpo.name}, {settings.dpo.email}",
    }


def controller_record(metadata: MetaData, settings: Settings) -> dict[str, Any]:
    """Art. 30(1): one activity per purpose of controller-scope data."""
    declared = [d for _f, d in personal_fields(metadata) if d.scope is Scope.CONTROLLER]
    activities = []
    for purpose in Purpose:
        uses = [d for d in declared if purpose in d.purposes]
        if not uses:
            continue
        categories = sorted({d.category.value for d in uses})
        activities.append(
            {
                "activity": purpose.label,
                "a_controller_and_dpo": _controller_identity(settings),
                "b_purposes": [
                    purpose.label,
                    *sorted({f"legal basis: {d.basis.label}" for d in uses}),
                ],
                "c_data_subjects": sorted({d.subject.label for d in uses}),
                "c_data_categories": [
                    f"{c}: "
                    + ", ".join(sorted({d.description for d in uses if d.category.value == c}))
                    for c in categories
                ],
                "d_recipients": _recipients(settings.processors, set(categories)),
                "e_third_country_transfers": _transfers(settings.processors, set(categories)),
                "f_erasure_time_limits": sorted({d.retention.describe() for d in uses}),
                "g_security_measures": SECURITY_MEASURES,
            }
        )
    return {"article": "30(1)", "activities": activities}


def processor_record(
    metadata: MetaData, settings: Settings, customers: list[tuple[str, str | None]] | None = None
) -> dict[str, Any]:
    """Art. 30(2): the processing done for each customer (controller); `customers` are
    the active customers' names and contact addresses, when known."""
    declared = [d for _f, d in personal_fields(metadata) if d.scope is Scope.PROCESSOR]
    categories = sorted({d.category.value for d in declared})
    controllers: list[str] = ["each customer organisation of the platform"]
    if customers is not None:
        controllers = [f"{name} ({email or 'contact on file'})" for name, email in customers] or [
            "no customer yet"
        ]
    processing = [
        f"{purpose.label}: "
        + ", ".join(sorted({d.category.label for d in declared if purpose in d.purposes}))
        for purpose in Purpose
        if any(purpose in d.purposes for d in declared)
    ]
    return {
        "article": "30(2)",
        "a_processor_controllers_and_dpo": {
            "processor": _controller_identity(settings)["controller"],
            "data_protection_officer": _controller_identity(settings)["data_protection_officer"],
            "controllers": controllers,
            "sub_processors": _recipients(settings.processors, set(categories)),
        },
        "b_categories_of_processing": processing,
        "c_third_country_transfers": _transfers(settings.processors, set(categories)),
        "d_security_measures": SECURITY_MEASURES,
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
            if key != "activity":
                writer.writerow(["Art. 30(1)", activity["activity"], key, _flatten(value)])
    for key, value in document["processor_record"].items():
        if key != "article":
            writer.writerow(
                ["Art. 30(2)", "processing on behalf of customers", key, _flatten(value)]
            )
    return buffer.getvalue()
