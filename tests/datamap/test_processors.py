"""The processor register refuses transfers without a safeguard (P18)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from interpreta.cli import app
from interpreta.config import Settings
from interpreta.datamap.processors import Processor, TransferRefused, transfer_problems
from interpreta.platform import Platform


def _processor(country: str, safeguard: str | None = None) -> Processor:
    return Processor(
        name=f"Vendor {country}",
        function="email delivery",
        categories=["identifiers"],
        country=country,
        safeguard=safeguard,  # type: ignore[arg-type]
    )


def test_p18_processors_inside_the_eea_need_no_safeguard() -> None:
    assert transfer_problems([_processor("DE"), _processor("NO")]) == []


def test_p18_outside_the_eea_needs_adequacy_or_standard_contractual_clauses() -> None:
    assert transfer_problems([_processor("JP", "adequacy decision")]) == []
    assert transfer_problems([_processor("IN", "standard contractual clauses")]) == []
    (missing,) = transfer_problems([_processor("IN")])
    assert "outside the EU/EEA (IN)" in missing
    (wrong,) = transfer_problems([_processor("CN", "adequacy decision")])
    assert "no adequacy decision" in wrong


def test_p18_a_us_processor_is_adequate_only_with_its_dpf_certification_recorded() -> None:
    from datetime import date

    (uncertified,) = transfer_problems([_processor("US", "adequacy decision")])
    assert "Data Privacy Framework" in uncertified and "dpf_certified_on" in uncertified
    certified = _processor("US", "adequacy decision").model_copy(
        update={"dpf_certified_on": date(2026, 11, 2)}
    )
    assert transfer_problems([certified]) == []
    assert transfer_problems([_processor("US", "standard contractual clauses")]) == []


def test_p18_unknown_data_category_is_refused() -> None:
    bad = Processor(name="X", function="y", categories=["horoscopes"], country="FR")
    assert transfer_problems([bad]) == ["processor 'X': unknown data category 'horoscopes'"]


def test_p18_start_up_refuses_a_bad_transfer(settings: Settings) -> None:
    settings.processors = [_processor("US")]
    with pytest.raises(TransferRefused, match="no safeguard is recorded"):
        Platform.start(settings)


def test_p18_privacy_check_command_refuses_with_a_clear_message(tmp_path: object) -> None:
    register = [
        {"name": "Cloud Inc.", "function": "hosting", "categories": ["technical"], "country": "US"}
    ]
    result = CliRunner().invoke(
        app,
        ["privacy", "check"],
        env={"INTERPRETA_PROCESSORS": json.dumps(register)},
    )
    assert result.exit_code == 2
    assert "Cloud Inc." in result.output and "no safeguard" in result.output
    ok = CliRunner().invoke(app, ["privacy", "check"], env={"INTERPRETA_PROCESSORS": "[]"})
    assert ok.exit_code == 0, ok.output
    assert "data map complete" in ok.output
