"""``interpreta newsletter``: queue an issue, send it through real SMTP, count; bad
input exits non-zero with nothing queued."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from interpreta.cli import app
from interpreta.cli.common import CommandContext
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.platform import Platform
from tests.newsletter.conftest import Subscribing


def _newsletter(settings: Settings, clock: FrozenClock, *args: str) -> Result:
    return CliRunner().invoke(
        app,
        ["newsletter", *args, "--data-dir", str(settings.data_dir)],
        env={"INTERPRETA_DATABASE_URL": settings.resolved_database_url},
        obj=CommandContext(clock=clock),
    )


def test_queue_then_send_then_count(
    platform: Platform, settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    Subscribing(platform)("mia@example.org")
    text = tmp_path / "issue.txt"
    text.write_text("Hallo, ça va? News.", encoding="utf-8")
    queued = _newsletter(settings, clock, "queue", "--subject", "News", "--body-file", str(text))
    assert queued.exit_code == 0 and "queued for 1 subscriber" in queued.output
    status = _newsletter(settings, clock, "status")
    assert "1 subscriber(s), 1 mail(s) queued" in status.output
    sent = _newsletter(settings, clock, "send")
    assert sent.exit_code == 0 and "1 sent, 0 failed, 0 left" in sent.output
    (letter,) = (settings.data_dir / "outbox").glob("*.eml")  # no SMTP relay configured
    raw = letter.read_bytes()
    assert raw.startswith(b"DKIM-Signature:") and b"List-Unsubscribe-Post" in raw
    assert "0 mail(s) queued" in _newsletter(settings, clock, "status").output


def test_bad_input_exits_non_zero_and_queues_nothing(
    platform: Platform, settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    empty, binary, fine = tmp_path / "e.txt", tmp_path / "b.txt", tmp_path / "f.txt"
    empty.write_text("  \n", encoding="utf-8")
    binary.write_bytes(b"\xff\xfe\x00bad")
    fine.write_text("text", encoding="utf-8")
    for args in (
        ("--subject", "News", "--body-file", str(empty)),
        ("--subject", "News", "--body-file", str(binary)),
        ("--subject", "two\nlines", "--body-file", str(fine)),
        ("--subject", "", "--body-file", str(fine)),
        ("--subject", "News", "--body-file", str(tmp_path / "missing.txt")),
    ):
        result = _newsletter(settings, clock, "queue", *args)
        assert result.exit_code != 0, args
    assert "0 mail(s) queued" in _newsletter(settings, clock, "status").output


def test_the_dkim_record_names_the_selector_and_the_key(
    settings: Settings, clock: FrozenClock
) -> None:
    result = _newsletter(settings, clock, "dkim-record")
    assert result.exit_code == 0
    assert 'interpreta._domainkey.interpreta.example. IN TXT "v=DKIM1; k=rsa; p=' in result.output
