"""Records of processing activities (Art. 30(1) and 30(2)), every field filled."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from interpreta.accounts.customers import active_customers
from interpreta.cli import app
from interpreta.config import Settings
from interpreta.datamap.activities import ACCOUNT, ACTIVITIES, columns
from interpreta.datamap.processors import Processor
from interpreta.datamap.vocabulary import Scope
from interpreta.platform import Platform
from interpreta.privacy import ropa
from interpreta.schema import all_metadata

CONTROLLER_FIELDS = (
    "a_controller_and_dpo",
    "b_purposes",
    "c_data_subjects",
    "c_data_categories",
    "d_recipients",
    "e_third_country_transfers",
    "f_erasure_time_limits",
    "g_security_measures",
)
PROCESSOR_FIELDS = (
    "a_processor_controllers_and_dpo",
    "b_categories_of_processing",
    "c_third_country_transfers",
    "d_security_measures",
)


def _filled(value: object) -> bool:
    if isinstance(value, dict):
        return bool(value) and all(_filled(v) for v in value.values())
    if isinstance(value, list):
        return bool(value) and all(_filled(v) for v in value)
    return bool(str(value).strip())


def test_art30_1_every_activity_has_every_field_a_to_g(settings: Settings) -> None:
    record = ropa.controller_record(all_metadata(), settings)
    assert len(record["activities"]) >= 3
    for activity in record["activities"]:
        for key in CONTROLLER_FIELDS:
            assert _filled(activity[key]), (activity["activity"], key)


def test_art30_1_lists_the_activities_that_touch_controller_data(settings: Settings) -> None:
    record = ropa.controller_record(all_metadata(), settings)
    listed = [a["key"] for a in record["activities"]]
    expected = [
        a.key
        for a in ACTIVITIES
        if any(d.scope is Scope.CONTROLLER for _column, d in columns(all_metadata(), a))
    ]
    assert listed == expected
    account = next(a for a in record["activities"] if a["key"] == ACCOUNT.key)
    assert all(p.label in account["b_purposes"] for p in ACCOUNT.purposes)
    assert f"legal basis: {ACCOUNT.basis.label}" in account["b_purposes"]
    assert any("email address" in c for c in account["c_data_categories"])


def test_art30_every_activity_is_in_a_record(settings: Settings) -> None:
    document = ropa.records(all_metadata(), settings)
    controller = {a["activity"] for a in document["controller_record"]["activities"]}
    processing = " ".join(document["processor_record"]["b_categories_of_processing"])
    for activity in ACTIVITIES:
        assert activity.title in controller or activity.title in processing, activity.key


def test_art30_transfers_outside_the_eea_name_their_safeguard(settings: Settings) -> None:
    settings.processors = [
        Processor(
            name="Beta Mail",
            function="email delivery",
            categories=["identifiers"],
            country="US",
            safeguard="standard contractual clauses",
        )
    ]
    document = ropa.records(all_metadata(), settings)
    account = next(
        a for a in document["controller_record"]["activities"] if a["key"] == ACCOUNT.key
    )
    assert account["e_third_country_transfers"] == [
        "Beta Mail, US: safeguard standard contractual clauses"
    ]
    processor = document["processor_record"]["a_processor_controllers_and_dpo"]
    assert any("Beta Mail" in s for s in processor["sub_processors"])


def test_art30_2_processor_record_has_every_field_and_names_customers(
    platform: Platform, settings: Settings, sign_up: object
) -> None:
    sign_up("ann", "Ann's Conferences")  # type: ignore[operator]
    with platform.sessions() as db:
        record = ropa.processor_record(all_metadata(), settings, active_customers(db))
    for key in PROCESSOR_FIELDS:
        assert _filled(record[key]), key
    assert any(
        "Ann's Conferences" in c for c in record["a_processor_controllers_and_dpo"]["controllers"]
    )
    on_behalf = [
        a
        for a in ACTIVITIES
        if any(d.scope is Scope.PROCESSOR for _column, d in columns(all_metadata(), a))
    ]
    assert len(record["b_categories_of_processing"]) == len(on_behalf)
    for activity, line in zip(on_behalf, record["b_categories_of_processing"], strict=True):
        assert line.startswith(activity.title)


def test_ropa_cli_writes_json_and_csv(settings: Settings, monkeypatch: object) -> None:
    runner = CliRunner()
    env = {"INTERPRETA_DATABASE_URL": settings.resolved_database_url}
    args = ["privacy", "ropa", "--data-dir", str(settings.data_dir)]
    as_json = runner.invoke(app, [*args, "--format", "json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    assert document["controller_record"]["article"] == "30(1)"
    as_csv = runner.invoke(app, [*args, "--format", "csv"], env=env)
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {r["record"] for r in rows} == {"Art. 30(1)", "Art. 30(2)"}
    assert all(r["value"].strip() for r in rows)
