"""What comes due with time: an updated invitation when the event changes, the reminder
a day before, the survey link after the end, each once, whoever runs the schedule."""

from __future__ import annotations

from datetime import timedelta

from interpreta.clock import FrozenClock
from interpreta.platform import Platform
from interpreta.registration.letters import Post
from interpreta.registration.schedule import Sent, send_due
from tests.registration.conftest import Organised, calendar_of


def _run(platform: Platform) -> Sent:
    post = Post(platform.settings, platform.secrets.session_key, platform.clock.now())
    return send_due(platform.sessions, platform.mailer, post)


def test_updates_reminders_and_survey_links_go_once_each(
    organised: Organised, platform: Platform, clock: FrozenClock
) -> None:
    organised.settings("automatic")
    organised.register("ann")
    organised.register("ben")
    assert _run(platform) == Sent(0, 0, 0)

    moved = organised.owner.client.patch(
        f"/api/events/{organised.event['id']}",
        json={"starts_at": "2026-12-01T09:00:00+00:00", "title": "Summit, day one"},
    )
    assert moved.status_code == 200
    assert _run(platform) == Sent(2, 0, 0)
    update = calendar_of(organised.mails_to("ann")[-1])
    assert update is not None and str(update["METHOD"]) == "REQUEST"
    vevent = update.walk("VEVENT")[0]
    assert int(vevent["SEQUENCE"]) == 1 and str(vevent["SUMMARY"]) == "Summit, day one"
    assert vevent.decoded("DTSTART").hour == 9
    assert _run(platform) == Sent(0, 0, 0)  # once

    clock.advance(timedelta(days=6, hours=12))  # 2026-11-30 21:00, 12 h before the start
    assert _run(platform) == Sent(0, 2, 0)
    assert organised.mails_to("ben")[-1].subject.startswith("Starts soon")
    assert _run(platform) == Sent(0, 0, 0)

    later = organised.owner.client.patch(
        f"/api/events/{organised.event['id']}", json={"starts_at": "2026-12-01T10:00:00+00:00"}
    )
    assert later.status_code == 200
    assert _run(platform) == Sent(2, 2, 0)  # the new time, and its reminder again

    clock.advance(timedelta(days=1))  # over, but the organiser asked nothing: no survey
    assert _run(platform) == Sent(0, 0, 0)
    survey = organised.owner.client.put(
        f"/api/events/{organised.event['id']}/survey",
        json={"questions": [{"kind": "rating", "label": "How was it?", "required": True}]},
    )
    assert survey.status_code == 200
    assert _run(platform) == Sent(0, 0, 2)
    assert "/survey?token=" in organised.mails_to("ann")[-1].body
    assert _run(platform) == Sent(0, 0, 0)


def test_deleting_the_event_cancels_every_invitation(organised: Organised) -> None:
    organised.settings("automatic", 1)
    organised.register("cleo")
    organised.register("dan")  # on the waiting list: told, with no calendar entry to cancel
    deleted = organised.owner.client.delete(f"/api/events/{organised.event['id']}")
    assert deleted.status_code == 204
    cancelled = calendar_of(organised.mails_to("cleo")[-1])
    assert cancelled is not None and str(cancelled["METHOD"]) == "CANCEL"
    assert organised.mails_to("dan")[-1].subject.startswith("Cancelled")
    assert calendar_of(organised.mails_to("dan")[-1]) is None
