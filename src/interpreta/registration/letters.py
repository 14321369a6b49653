"""The mails of a registration, in the registrant's language: where it stands (with the
calendar invitation and the personal join link once accepted, its cancellation when it
ends), updates as the event changes, the reminder, the event's cancellation, and the
survey link.

Invitations follow iTIP (RFC 5546): one UID per registration, ``METHOD:REQUEST`` with the
event's current SEQUENCE, so a calendar replaces the entry on an update, and
``METHOD:CANCEL`` with a higher one to remove it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from sqlalchemy.orm import Session

from interpreta.calendars import ics
from interpreta.config import Settings
from interpreta.datamap.activities import FEEDBACK, REGISTRATION
from interpreta.events.models import Event
from interpreta.i18n import locales
from interpreta.i18n.catalogues import gettext
from interpreta.mail import Attachment, Mail, Mailer
from interpreta.privacy.processing import runs_in
from interpreta.registration import registrations
from interpreta.registration.models import Registration, RegistrationStatus


@dataclass(frozen=True)
class Post:
    """Writes a registration's mails: the deployment's settings, the key signing personal
    links, and the moment they are written."""

    settings: Settings
    key: bytes
    now: datetime

    @property
    def base(self) -> str:
        """This deployment's address."""
        return self.settings.base_url.rstrip("/")

    def join_link(self, event: Event, registration: Registration) -> str:
        """The personal join link (only an accepted registration opens the event)."""
        return f"{self.base}/join/{event.code}?ticket={registrations.token(self.key, registration)}"

    def page_link(self, page: str, registration: Registration) -> str:
        """A personal page: ``/registration`` (see and cancel) or ``/survey``."""
        return f"{self.base}{page}?token={registrations.token(self.key, registration)}"

    def invitation(
        self, event: Event, organiser: str, registration: Registration, *, cancel: bool = False
    ) -> Attachment:
        """The calendar invitation (``REQUEST``) or its cancellation (``CANCEL``)."""
        host = urlsplit(self.base).hostname or "interpreta"
        invitation = ics.Invitation(
            # the nonce changes when a declined registration is accepted again: a new
            # entry, since calendars ignore a REQUEST older than the CANCEL they had
            uid=f"registration-{registration.id}-{registration.link_nonce[:8]}@{host}",
            sequence=event.schedule_sequence + (1 if cancel else 0),
            summary=event.title,
            description=event.description,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            timezone=event.timezone,
            url=self.join_link(event, registration),
            organizer_name=organiser,
            organizer_email=self.settings.smtp_from,
            attendee_email=registration.email,
            attendee_name=f"{registration.first_name} {registration.last_name}",
            stamp=self.now,
        )
        method = "CANCEL" if cancel else "REQUEST"
        data = ics.cancel(invitation) if cancel else ics.request(invitation)
        return Attachment("invitation.ics", f"text/calendar; method={method}", data)

    def when(self, event: Event) -> str:
        """The event's start and end in its time zone, in the current language."""
        zone = ZoneInfo(event.timezone)
        locale = locales.current()
        start = babel_dates.format_datetime(event.starts_at, "full", tzinfo=zone, locale=locale)
        end = babel_dates.format_time(event.ends_at, "short", tzinfo=zone, locale=locale)
        return f"{start} \u2013 {end} ({event.timezone})"

    def status(
        self, event: Event, organiser: str, registration: Registration, *, update: bool = False
    ) -> Mail:
        """Where `registration` stands (an update of its invitation when `update`)."""
        with locales.speaking(registration.language):
            return self._status(event, organiser, registration, update)

    def _status(
        self, event: Event, organiser: str, registration: Registration, update: bool
    ) -> Mail:
        title = event.title
        hello = gettext("Hello %(name)s,", name=registration.first_name)
        manage = gettext(
            "See or cancel your registration: %(link)s",
            link=self.page_link("/registration", registration),
        )
        attachments: tuple[Attachment, ...] = ()
        status = registration.status
        if status is RegistrationStatus.ACCEPTED:
            subject = (
                gettext("Updated: %(title)s", title=title)
                if update
                else gettext("You are registered: %(title)s", title=title)
            )
            lines = [
                gettext("the event has changed; your calendar entry is updated.")
                if update
                else gettext("you are registered for %(title)s.", title=title),
                self.when(event),
                gettext(
                    "Your personal link to join (do not share it): %(link)s",
                    link=self.join_link(event, registration),
                ),
            ]
            attachments = (self.invitation(event, organiser, registration),)
        elif status is RegistrationStatus.PENDING:
            subject = gettext("Registration received: %(title)s", title=title)
            lines = [gettext("the organiser will decide on your registration; we will mail you.")]
        elif status is RegistrationStatus.WAITLISTED:
            subject = gettext("On the waiting list: %(title)s", title=title)
            lines = [
                gettext(
                    "the event is full. You are on the waiting list; we will mail you if a "
                    "place frees up."
                )
            ]
        else:
            subject = (
                gettext("Registration declined: %(title)s", title=title)
                if status is RegistrationStatus.DECLINED
                else gettext("Registration cancelled: %(title)s", title=title)
            )
            lines = [
                gettext("your registration no longer holds a place; the calendar entry is removed.")
            ]
            if registration.invited_sequence is not None:
                attachments = (self.invitation(event, organiser, registration, cancel=True),)
        body = "\n\n".join([hello, *lines, manage])
        return Mail(registration.email, subject, body, REGISTRATION.key, attachments=attachments)

    def reminder(self, event: Event, registration: Registration) -> Mail:
        """The reminder the day before."""
        with locales.speaking(registration.language):
            body = "\n\n".join(
                [
                    gettext("Hello %(name)s,", name=registration.first_name),
                    gettext("%(title)s starts soon:", title=event.title),
                    self.when(event),
                    gettext(
                        "Your personal link to join (do not share it): %(link)s",
                        link=self.join_link(event, registration),
                    ),
                ]
            )
            subject = gettext("Starts soon: %(title)s", title=event.title)
        return Mail(registration.email, subject, body, REGISTRATION.key)

    def event_cancelled(self, event: Event, organiser: str, registration: Registration) -> Mail:
        """The event is cancelled: the calendar entry goes."""
        with locales.speaking(registration.language):
            subject = gettext("Cancelled: %(title)s", title=event.title)
            body = "\n\n".join(
                [
                    gettext("Hello %(name)s,", name=registration.first_name),
                    gettext(
                        "the organiser cancelled %(title)s; the calendar entry is removed.",
                        title=event.title,
                    ),
                ]
            )
        attachments = (
            (self.invitation(event, organiser, registration, cancel=True),)
            if registration.invited_sequence is not None
            else ()
        )
        return Mail(registration.email, subject, body, REGISTRATION.key, attachments=attachments)

    def survey(self, event: Event, registration: Registration) -> Mail:
        """The link to the feedback survey."""
        with locales.speaking(registration.language):
            subject = gettext("Your feedback on %(title)s", title=event.title)
            body = "\n\n".join(
                [
                    gettext("Hello %(name)s,", name=registration.first_name),
                    gettext(
                        "thank you for taking part in %(title)s. The organiser asks a few "
                        "questions, and sees the answers without names, in groups of at "
                        "least five people.",
                        title=event.title,
                    ),
                    self.page_link("/survey", registration),
                ]
            )
        return Mail(registration.email, subject, body, FEEDBACK.key)


@runs_in(REGISTRATION)
def send_status(
    db: Session,
    mailer: Mailer,
    post: Post,
    event: Event,
    organiser: str,
    changed: list[Registration],
    *,
    update: bool = False,
) -> None:
    """Mail each of `changed` where it stands, and note which invitation it holds."""
    for registration in changed:
        mailer.send(post.status(event, organiser, registration, update=update))
        if registration.status is RegistrationStatus.ACCEPTED:
            registration.invited_sequence = event.schedule_sequence
        elif registration.status in (RegistrationStatus.DECLINED, RegistrationStatus.CANCELLED):
            registration.invited_sequence = None
    db.flush()


@runs_in(REGISTRATION)
def send_event_cancelled(
    db: Session, mailer: Mailer, post: Post, event: Event, organiser: str
) -> int:
    """Tell everyone still registered that the event is cancelled (before it is deleted);
    how many were mailed."""
    holding = (
        RegistrationStatus.ACCEPTED,
        RegistrationStatus.PENDING,
        RegistrationStatus.WAITLISTED,
    )
    mailed = 0
    for registration in registrations.listing(db, event.id):
        if registration.status in holding:
            mailer.send(post.event_cancelled(event, organiser, registration))
            mailed += 1
    return mailed
