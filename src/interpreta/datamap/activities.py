"""Processing activities: what the platform does with personal data, declared as code.

An activity names its purposes, its legal basis, whose data it is about, the
personal columns it may read and write, who else receives the data and where it
goes. Every code path that touches personal data runs inside one
(:mod:`interpreta.privacy.processing` enforces it when statements execute); the
notice and the records of processing (Art. 30) are written from these
declarations, one section or record per activity.

Columns are named ``"table.column"``, or ``"table.*"`` for every column of a
table. :func:`problems` checks the names against the schema, that each activity's
purposes are declared by every personal column it touches (P02), and reports
personal columns no activity writes (minimisation, P03).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import MetaData

from interpreta.datamap.declarations import Personal, declaration_of
from interpreta.datamap.vocabulary import LegalBasis, Purpose, Subject
from interpreta.i18n.catalogues import N_


class Audience(StrEnum):
    """Who reads a layer of the notice: the people an activity's data is about."""

    PARTICIPANT = "participant"
    """Listeners, speakers and interpreters taking part in an event."""
    CUSTOMER = "customer"
    """People with an account: organisers, interpreters, our customers' contacts."""
    VISITOR = "visitor"
    """Anyone visiting the website or writing to the operator."""


@dataclass(frozen=True)
class Activity:
    """One processing activity and everything Art. 13 and Art. 30 ask about it."""

    key: str
    title: str
    what: str
    """What is done, in plain words, for the notice."""
    purposes: tuple[Purpose, ...]
    basis: LegalBasis
    subjects: tuple[Subject, ...]
    audiences: tuple[Audience, ...]
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    shared_with: tuple[str, ...] = ()
    """Recipients other than the registered processors (the event's organiser...)."""
    goes_to: str = N_("stays on the platform's servers")
    """Where the data goes, in plain words."""
    stores_only: bool = False
    """Only keeps or disposes of data (backups, retention): a restriction (P31) does
    not stop it, and it leaves restricted rows as they are."""
    processors: bool = True
    """Whether the registered processors (hosting...) take part."""
    _read: frozenset[str] = field(init=False, repr=False, compare=False)
    _written: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_read", frozenset(self.reads) | frozenset(self.writes))
        object.__setattr__(self, "_written", frozenset(self.writes))

    @property
    def objectionable(self) -> bool:
        """Whether a person may object to it (Art. 21): legitimate interest, or marketing;
        not keeping data safe (backups, encryption), which processes nothing for itself."""
        if self.stores_only:
            return False
        return self.basis is LegalBasis.LEGITIMATE_INTEREST or Purpose.MARKETING in self.purposes

    @property
    def restrictable(self) -> bool:
        """Whether a restriction stops it (Art. 18): everything but storage and what the
        law obliges us to do (answering requests, keeping records, Art. 18(2))."""
        return not self.stores_only and self.basis is not LegalBasis.LEGAL_OBLIGATION

    def may_read(self, table: str, column: str) -> bool:
        """Whether the activity declares reading (or writing) ``table.column``."""
        found = self._read
        return "*" in found or f"{table}.{column}" in found or f"{table}.*" in found

    def may_write(self, table: str, column: str) -> bool:
        """Whether the activity declares writing ``table.column``."""
        found = self._written
        return "*" in found or f"{table}.{column}" in found or f"{table}.*" in found


_EVENT_DATA = (
    "participants.event_id",
    "participants.role",
    "participants.anonymous_id",
    "participants.first_name",
    "participants.last_name",
    "participants.email",
    "participants.phone",
    "participants.user_id",
    "participants.created_at",
    "connection_sessions.*",
    "usage_events.*",
    "booth_chat_messages.*",
    "on_air_stints.*",
)

LIVE_EVENT = Activity(
    key="live_event",
    title=N_("Running live events"),
    what=N_(
        "When you join an event we note that you joined, which channel you listen to and "
        "when, and pass the sound between speakers, interpreters and listeners. "
        "Interpreters' booth chat is kept for the organiser's chosen time. When the "
        "organiser offers automatic captions and a listener turns them on, a speech "
        "recogniser on our servers writes down what is said on that channel, and a "
        "machine translates it when asked; the captions are shown live, and kept only "
        "when the organiser keeps a transcript (below)."
    ),
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.PARTICIPANT, Subject.CUSTOMER_USER),
    audiences=(Audience.PARTICIPANT,),
    reads=(
        "participants.*",
        "booth_assignments.*",
        "memberships.user_id",
        "memberships.role",
        "users.id",
        "users.name",
    ),
    writes=_EVENT_DATA,
    shared_with=(N_("the event's organiser (our customer), who decides about the event"),),
)

SHARING = Activity(
    key="meeting_content",
    title=N_("Chat, polls, questions and files in events"),
    what=N_(
        "What you write in an event's chat, the polls you answer, the questions you ask "
        "or upvote and the files you share are kept, encrypted, for the time the "
        "organiser chose, and shown to the people you addressed them to (everyone, the "
        "hosts, or one person). Questions you ask as anonymous show no name to others."
    ),
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.PARTICIPANT, Subject.CUSTOMER_USER),
    audiences=(Audience.PARTICIPANT,),
    reads=(
        "participants.event_id",
        "participants.role",
        "participants.anonymous_id",
        "participants.first_name",
    ),
    writes=(
        "chat_messages.*",
        "polls.*",
        "poll_options.*",
        "poll_votes.*",
        "questions.*",
        "question_votes.*",
        "shared_files.*",
    ),
    shared_with=(N_("the event's organiser (our customer), who decides about the event"),),
)

RECORDING = Activity(
    key="recordings",
    title=N_("Recording events"),
    what=N_(
        "When the organiser records an event, everyone taking part sees that recording "
        "is on; we record the floor and each interpretation as you hear them, and the "
        "video of the stage (the camera of whoever speaks) when someone shows their "
        "camera, encrypted, and note who was heard or seen when. The organiser plays the "
        "recordings back and downloads them; they are kept for the time the organiser "
        "chose."
    ),
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.PARTICIPANT, Subject.CUSTOMER_USER),
    audiences=(Audience.PARTICIPANT,),
    reads=("connection_sessions.session_id", "connection_sessions.participant_id"),
    writes=("recordings.*", "recording_chunks.*", "recording_voices.*"),
    shared_with=(N_("the event's organiser (our customer), who decides about the event"),),
)

TRANSCRIPTION = Activity(
    key="transcription",
    title=N_("Transcripts of automatic captions"),
    what=N_(
        "When the organiser keeps a transcript, a speech recogniser on our servers writes "
        "down what is said on air in the channels it understands, and we keep each "
        "sentence, encrypted, with who was on air and when, for the time the organiser "
        "chose. It is made by a machine and may contain mistakes; the organiser reads and "
        "downloads it. Translations of it are made again when asked, not kept."
    ),
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.PARTICIPANT, Subject.CUSTOMER_USER),
    audiences=(Audience.PARTICIPANT,),
    reads=(
        "connection_sessions.session_id",
        "connection_sessions.participant_id",
        "participants.first_name",
    ),
    writes=("transcript_segments.*",),
    shared_with=(N_("the event's organiser (our customer), who decides about the event"),),
)

ENGAGEMENT_ESTIMATES = Activity(
    key="engagement_estimates",
    title=N_("Engagement estimates"),
    what=N_(
        "When the organiser's account turns them on, we estimate after an event, on our "
        "servers, how much each participant took part: speaking time and turns (a voice "
        "detector on the recording, while you were on air), chat messages, poll answers "
        "and questions, and how often a face was on camera while you were on the stage "
        "(a face detector on one picture a second; it does not tell who). Each is shown "
        "to the organiser as an estimate with how sure it is; a sample is checked by a "
        "person against the recording, and you can ask for any estimate about you to be "
        "checked. We never infer emotions from voice or face. Nothing is estimated about "
        "a person who opted out of automated assessment."
    ),
    purposes=(Purpose.AUTOMATED_ASSESSMENT,),
    basis=LegalBasis.LEGITIMATE_INTEREST,
    subjects=(Subject.PARTICIPANT, Subject.CUSTOMER_USER),
    audiences=(Audience.PARTICIPANT,),
    reads=(
        "participants.id",
        "participants.event_id",
        "participants.email",
        "participants.user_id",
        "participants.first_name",
        "participants.last_name",
        "recordings.id",
        "recordings.event_id",
        "recordings.media_type",
        "recordings.status",
        "recording_chunks.*",
        "recording_voices.*",
        "chat_messages.author_id",
        "poll_votes.voter_id",
        "questions.author_id",
    ),
    writes=("engagement_estimates.*",),
    shared_with=(N_("the event's organiser (our customer), who decides about the event"),),
)

GLOSSARY = Activity(
    key="glossary",
    title=N_("The booths' glossary"),
    what=N_(
        "Interpreters and organisers keep a glossary for each event: terms, their "
        "equivalents and notes, and who added or last changed each. The event's booths "
        "share and search it; it is kept, encrypted, for the time the organiser chose."
    ),
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.CUSTOMER_USER,),
    audiences=(Audience.CUSTOMER,),
    reads=("glossary_terms.*", "booth_assignments.user_id"),
    writes=("glossary_terms.*",),
    shared_with=(N_("the event's organiser (our customer), who decides about the event"),),
)

ON_AIR_TIME = Activity(
    key="on_air_time",
    title=N_("Interpreters' time on air"),
    what=N_(
        "We note when each interpreter's microphone is live, and on which channel, so the "
        "organiser can see and export each interpreter's time on air for invoicing. It is "
        "deleted with the rest of the event's participation data."
    ),
    purposes=(Purpose.PROVIDE_EVENTS, Purpose.BILLING),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.PARTICIPANT, Subject.CUSTOMER_USER),
    audiences=(Audience.PARTICIPANT,),
    reads=(
        "on_air_stints.*",
        "participants.event_id",
        "participants.first_name",
        "participants.last_name",
        "participants.anonymous_id",
    ),
    writes=("on_air_stints.*",),
    shared_with=(N_("the event's organiser (our customer), who decides about the event"),),
)

REGISTRATION = Activity(
    key="registration",
    title=N_("Registering for events"),
    what=N_(
        "When an organiser asks people to register, we keep what you give us: your name, "
        "email address and answers to the organiser's questions, whether you are accepted, "
        "waiting for a place or declined, and when. We mail you the confirmation, the "
        "calendar invitation with your personal join link, its updates and a reminder; the "
        "organiser sees your registration and decides on it."
    ),
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.PARTICIPANT,),
    audiences=(Audience.PARTICIPANT,),
    writes=("registrations.*", "registration_answers.*"),
    shared_with=(N_("the event's organiser"),),
)

FEEDBACK = Activity(
    key="feedback",
    title=N_("Feedback after events"),
    what=N_(
        "After an event, we mail its registered participants a link to the organiser's "
        "questions. The organiser sees the answers without names, and only over whole "
        "groups of five people, never one person's answer alone."
    ),
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.PARTICIPANT,),
    audiences=(Audience.PARTICIPANT,),
    reads=("registrations.*",),
    writes=("survey_answers.*", "registrations.surveyed_at"),
    shared_with=(N_("the event's organiser, without names, in groups of at least five"),),
)

CALENDAR = Activity(
    key="calendar",
    title=N_("Your calendar, if you connect it"),
    what=N_(
        "If you connect a calendar (CalDAV) and an address book (CardDAV), we publish the "
        "events you organise to the calendar and import the address book's contacts so you "
        "can invite them: an invitation to an event goes only to the contacts you pick. We "
        "keep the server's address, your user name and password (encrypted) and the "
        "imported contacts' names and email addresses. Disconnecting "
        "deletes the password and every imported contact at once."
    ),
    purposes=(Purpose.CALENDAR,),
    basis=LegalBasis.CONSENT,
    subjects=(Subject.CUSTOMER_USER, Subject.CONTACT),
    audiences=(Audience.CUSTOMER,),
    writes=("calendar_connections.*", "imported_contacts.*"),
    goes_to=N_("your calendar server, which must be one the operator registered"),
)

TROUBLESHOOTING = Activity(
    key="troubleshooting",
    title=N_("Fixing connection and sound problems"),
    what=N_(
        "We look at connection records (browser, device type, IP address, join and leave "
        "times) to find out why sound broke up or a connection failed."
    ),
    purposes=(Purpose.TROUBLESHOOTING,),
    basis=LegalBasis.LEGITIMATE_INTEREST,
    subjects=(Subject.PARTICIPANT,),
    audiences=(Audience.PARTICIPANT,),
    reads=("participants.event_id", "participants.role", "connection_sessions.*", "usage_events.*"),
)

STATISTICS = Activity(
    key="statistics",
    title=N_("Anonymous statistics"),
    what=N_(
        "Before event data is deleted we count listeners per language, minutes listened "
        "and device types. The counts name no one, and groups of fewer than five people "
        "are not shown."
    ),
    purposes=(Purpose.PRODUCT_ANALYTICS,),
    basis=LegalBasis.LEGITIMATE_INTEREST,
    subjects=(Subject.PARTICIPANT,),
    audiences=(Audience.PARTICIPANT,),
    reads=(
        "participants.event_id",
        "participants.role",
        "connection_sessions.participant_id",
        "connection_sessions.stream_id",
        "connection_sessions.device_type",
        "connection_sessions.joined_at",
        "connection_sessions.left_at",
    ),
    processors=False,
)

CUSTOMER_VIEW = Activity(
    key="customer_view",
    title=N_("The organiser's live view and records"),
    what=N_(
        "The organiser of an event sees who is on air and how many listen, and manages "
        "the interpreters assigned to booths."
    ),
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.PARTICIPANT, Subject.CUSTOMER_USER),
    audiences=(Audience.PARTICIPANT, Audience.CUSTOMER),
    reads=(
        "participants.*",
        "connection_sessions.*",
        "users.id",
        "users.name",
        "users.email",
        "memberships.*",
    ),
    writes=("booth_assignments.*",),
    shared_with=(N_("the event's organiser (our customer)"),),
)

ACCOUNT = Activity(
    key="account",
    title=N_("Customer accounts"),
    what=N_(
        "We keep your account (name, email address, language, role in your organisation) "
        "and your organisation's contract and billing contact. When a member invites you "
        "to an organisation, we mail the invitation and keep it until you answer or it "
        "expires."
    ),
    purposes=(Purpose.ACCOUNT_MANAGEMENT, Purpose.BILLING, Purpose.SALES),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.CUSTOMER_USER, Subject.CUSTOMER_CONTACT),
    audiences=(Audience.CUSTOMER,),
    writes=("users.*", "organisations.*", "memberships.*", "invitations.*", "account_links.*"),
)

USAGE_METERING = Activity(
    key="usage_metering",
    title=N_("Usage metering"),
    what=N_(
        "When an event ends we add up the hours listeners listened, the hours interpreters "
        "were on air, its languages and the size of its recordings, to bill the organiser. "
        "We keep only these totals per event; they name no one."
    ),
    purposes=(Purpose.BILLING,),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.PARTICIPANT,),
    audiences=(Audience.PARTICIPANT,),
    reads=(
        "participants.id",
        "participants.event_id",
        "participants.role",
        "connection_sessions.participant_id",
        "connection_sessions.joined_at",
        "connection_sessions.left_at",
        "on_air_stints.channel_id",
        "on_air_stints.started_at",
        "on_air_stints.ended_at",
    ),
    processors=False,
)

BILLING = Activity(
    key="billing",
    title=N_("Billing"),
    what=N_(
        "We keep your organisation's contract, plan and billing address, to invoice the "
        "services it uses."
    ),
    purposes=(Purpose.BILLING, Purpose.SALES, Purpose.ACCOUNT_MANAGEMENT),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.CUSTOMER_CONTACT, Subject.CUSTOMER_USER),
    audiences=(Audience.CUSTOMER,),
    reads=(
        "organisations.*",
        "memberships.organisation_id",
        "memberships.user_id",
        "memberships.role",
    ),
    writes=(
        "organisations.plan",
        "organisations.contract_start",
        "organisations.contract_end",
        "contracts.*",
        "billing_addresses.*",
    ),
)

ACCOUNTING = Activity(
    key="accounting",
    title=N_("Invoices and payments"),
    what=N_(
        "We issue invoices and credit notes to your organisation's billing contact and "
        "address and record the payments received by the payment processor's reference; "
        "we never store card or account numbers. Tax and accounting law obliges us to issue "
        "them and to keep them for ten years, even when you ask us to erase your data."
    ),
    purposes=(Purpose.BILLING, Purpose.LEGAL_COMPLIANCE, Purpose.ACCOUNT_MANAGEMENT),
    basis=LegalBasis.LEGAL_OBLIGATION,
    subjects=(Subject.CUSTOMER_CONTACT,),
    audiences=(Audience.CUSTOMER,),
    reads=(
        "organisations.*",
        "billing_addresses.*",
        "memberships.organisation_id",
        "memberships.user_id",
        "memberships.role",
    ),
    writes=("invoices.*", "invoice_lines.*", "payments.*"),
)

SUPPORT_DESK = Activity(
    key="support_desk",
    title=N_("Support"),
    what=N_(
        "When you ask us for help, through the form or by mail, we keep your request, "
        "our answers and your address to answer you, and count our response times "
        "against your plan's. What you write is encrypted. Requests linked to an "
        "incident are kept while the incident is open."
    ),
    purposes=(Purpose.SUPPORT,),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.CUSTOMER_USER, Subject.CUSTOMER_CONTACT, Subject.STAFF),
    audiences=(Audience.CUSTOMER, Audience.VISITOR),
    reads=(
        "users.id",
        "users.email",
        "users.name",
        "memberships.organisation_id",
        "memberships.user_id",
        "contracts.organisation_id",
        "contracts.plan_id",
        "contracts.starts_on",
        "contracts.ends_on",
        "contracts.closed_at",
    ),
    writes=("tickets.*", "ticket_messages.*"),
)

CUSTOMER_RELATIONSHIP = Activity(
    key="customer_relationship",
    title=N_("Customer relationship"),
    what=N_(
        "Our sales and account managers keep the names and addresses of the people they "
        "deal with at your organisation, notes of their conversations (encrypted) and the "
        "offers under discussion. We delete them five years after your account closes at "
        "the latest; you may object to this use at any time."
    ),
    purposes=(Purpose.SALES, Purpose.ACCOUNT_MANAGEMENT),
    basis=LegalBasis.LEGITIMATE_INTEREST,
    subjects=(Subject.CUSTOMER_CONTACT,),
    audiences=(Audience.CUSTOMER,),
    reads=("organisations.*", "plans.*"),
    writes=("crm_contacts.*", "crm_notes.*", "deals.*"),
)

SIGN_IN = Activity(
    key="sign_in",
    title=N_("Signing in"),
    what=N_(
        "We check your password (stored only as a one-way hash) and, if you turned it on, "
        "your two-factor code; we remember each signed-in browser (and which browser it is, "
        "so you can end it) until you sign out or the session expires. We mail one-time "
        "links to prove that an email address is yours and to set a new password."
    ),
    purposes=(Purpose.SECURITY, Purpose.ACCOUNT_MANAGEMENT),
    basis=LegalBasis.CONTRACT,
    subjects=(Subject.CUSTOMER_USER, Subject.STAFF),
    audiences=(Audience.CUSTOMER,),
    reads=("users.*", "memberships.*"),
    writes=(
        "sign_in_sessions.*",
        "account_links.*",
        "users.email",
        "users.email_skeleton",
        "users.email_verified_at",
        "users.password_hash",
        "users.totp_secret",
        "users.totp_enabled_at",
        "users.totp_last_step",
    ),
)

PRIVACY_REQUESTS = Activity(
    key="privacy_requests",
    title=N_("Answering privacy requests"),
    what=N_(
        "When you ask for a copy of your data, a correction, an erasure or a restriction, "
        "we find your data, act on it and keep a record of the request and our answer."
    ),
    purposes=(Purpose.LEGAL_COMPLIANCE,),
    basis=LegalBasis.LEGAL_OBLIGATION,
    subjects=tuple(Subject),
    audiences=(Audience.PARTICIPANT, Audience.CUSTOMER, Audience.VISITOR),
    reads=("*",),
    writes=(
        "dsr_requests.*",
        "dsr_parts.*",
        "dsr_email_tokens.*",
        "processing_marks.*",
        "*",
    ),
    shared_with=(
        N_("the event's organiser, for requests about their events (they decide about that data)"),
    ),
)

SECURITY_AUDIT = Activity(
    key="security_audit",
    title=N_("Security records"),
    what=N_(
        "We record who did what to personal data (naming people only by pseudonyms) and keep "
        "a register of security incidents and legal holds, as the law asks us to show."
    ),
    purposes=(Purpose.SECURITY, Purpose.LEGAL_COMPLIANCE),
    basis=LegalBasis.LEGAL_OBLIGATION,
    subjects=(Subject.CUSTOMER_USER, Subject.PARTICIPANT, Subject.STAFF),
    audiences=(Audience.CUSTOMER, Audience.PARTICIPANT),
    writes=(
        "audit_entries.*",
        "breaches.*",
        "breach_notifications.*",
        "legal_holds.*",
        "processing_marks.overriding_grounds",
    ),
    reads=("processing_marks.*",),
)

DISCLOSURES = Activity(
    key="disclosures",
    title=N_("Disclosures without consent"),
    what=N_(
        "We give personal data to others without your consent only when the law obliges "
        "us (a court order or an authority's lawful request), to investigate fraud or "
        "abuse, or to enforce our terms. We record each disclosure: to whom, on which "
        "ground and what. It is in your access report, unless the law forbids telling "
        "you yet."
    ),
    purposes=(Purpose.LEGAL_COMPLIANCE,),
    basis=LegalBasis.LEGAL_OBLIGATION,
    subjects=(
        Subject.PARTICIPANT,
        Subject.CUSTOMER_USER,
        Subject.CUSTOMER_CONTACT,
        Subject.SUBSCRIBER,
        Subject.VISITOR,
    ),
    audiences=(Audience.PARTICIPANT, Audience.CUSTOMER, Audience.VISITOR),
    writes=("disclosures.*",),
    shared_with=(N_("courts and public authorities, where the law obliges us"),),
)

MARKETING = Activity(
    key="marketing",
    title=N_("News from us"),
    what=N_(
        "We send news about the platform to customers who proved their email address and "
        "did not object to it."
    ),
    purposes=(Purpose.MARKETING,),
    basis=LegalBasis.LEGITIMATE_INTEREST,
    subjects=(Subject.CUSTOMER_USER,),
    audiences=(Audience.CUSTOMER,),
    reads=("users.id", "users.email", "users.name", "users.closed_at", "users.email_verified_at"),
)

NEWSLETTER = Activity(
    key="newsletter",
    title=N_("The newsletter"),
    what=N_(
        "We send the newsletter to people who asked for it and confirmed their address by "
        "a mailed link. We record the consent text they agreed to, its version, and the IP "
        "address, browser and device type it was given from. Every newsletter has a link "
        "that unsubscribes at once; unsubscribing deletes the subscription and every mail "
        "still waiting to be sent."
    ),
    purposes=(Purpose.MARKETING,),
    basis=LegalBasis.CONSENT,
    subjects=(Subject.SUBSCRIBER,),
    audiences=(Audience.VISITOR,),
    writes=("newsletter_requests.*", "newsletter_subscribers.*", "newsletter_deliveries.*"),
    goes_to=N_("our mail relay delivers it to your mailbox"),
)

COOKIE_CHOICES = Activity(
    key="cookie_choices",
    title=N_("Your answer to the cookie banner"),
    what=N_(
        "Before anything but strictly necessary cookies and storage is kept in your "
        "browser, we ask. We record each answer (a random key of your browser, your account "
        "if you were signed in, the banner's version, what you allowed, and whether you "
        "withdrew an earlier consent) to be able to show what you agreed to."
    ),
    purposes=(Purpose.LEGAL_COMPLIANCE,),
    basis=LegalBasis.LEGAL_OBLIGATION,
    subjects=(Subject.VISITOR,),
    audiences=(Audience.VISITOR,),
    writes=("cookie_consents.*",),
)

BACKUPS = Activity(
    key="backups",
    title=N_("Backups"),
    what=N_(
        "We keep encrypted copies of the database to recover from a disaster; a restore "
        "erases again anyone erased after the copy was made."
    ),
    purposes=(Purpose.SECURITY,),
    basis=LegalBasis.LEGITIMATE_INTEREST,
    subjects=tuple(Subject),
    audiences=(Audience.CUSTOMER, Audience.PARTICIPANT),
    reads=("*",),
    writes=("*",),
    stores_only=True,
)

RETENTION = Activity(
    key="retention",
    title=N_("Deleting data on time"),
    what=N_("We delete or anonymise data when its time is over, as each section says."),
    purposes=(Purpose.LEGAL_COMPLIANCE,),
    basis=LegalBasis.LEGAL_OBLIGATION,
    subjects=tuple(Subject),
    audiences=(),
    reads=("*",),
    writes=("*",),
    stores_only=True,
    processors=False,
)

ENCRYPTION = Activity(
    key="encryption",
    title=N_("Encryption at rest"),
    what=N_("Confidential fields are encrypted with keys per customer, rotated without downtime."),
    purposes=(Purpose.SECURITY,),
    basis=LegalBasis.LEGITIMATE_INTEREST,
    subjects=(Subject.PARTICIPANT, Subject.CUSTOMER_USER, Subject.STAFF),
    audiences=(),
    reads=(
        "participants.phone",
        "participants.event_id",
        "booth_chat_messages.*",
        "glossary_terms.*",
        "chat_messages.*",
        "polls.*",
        "poll_options.*",
        "questions.*",
        "shared_files.*",
        "recording_chunks.*",
        "registration_answers.*",
        "survey_answers.*",
        "users.id",
        "users.totp_secret",
        "calendar_connections.*",
        "tickets.*",
        "ticket_messages.*",
        "crm_notes.*",
        "transcript_segments.*",
        "engagement_estimates.*",
    ),
    writes=(
        "participants.phone",
        "booth_chat_messages.body",
        "glossary_terms.term",
        "glossary_terms.equivalent",
        "glossary_terms.note",
        "chat_messages.body",
        "polls.question",
        "poll_options.text",
        "questions.body",
        "shared_files.name",
        "shared_files.content",
        "recording_chunks.data",
        "registration_answers.value",
        "survey_answers.value",
        "users.totp_secret",
        "calendar_connections.secret",
        "tickets.subject",
        "ticket_messages.body",
        "transcript_segments.text",
        "engagement_estimates.review_note",
    ),
    stores_only=True,
    processors=False,
)

ACTIVITIES: tuple[Activity, ...] = (
    LIVE_EVENT,
    SHARING,
    RECORDING,
    TRANSCRIPTION,
    ENGAGEMENT_ESTIMATES,
    GLOSSARY,
    ON_AIR_TIME,
    REGISTRATION,
    FEEDBACK,
    CALENDAR,
    TROUBLESHOOTING,
    STATISTICS,
    CUSTOMER_VIEW,
    ACCOUNT,
    USAGE_METERING,
    BILLING,
    ACCOUNTING,
    SUPPORT_DESK,
    CUSTOMER_RELATIONSHIP,
    SIGN_IN,
    PRIVACY_REQUESTS,
    SECURITY_AUDIT,
    DISCLOSURES,
    MARKETING,
    NEWSLETTER,
    COOKIE_CHOICES,
    BACKUPS,
    RETENTION,
    ENCRYPTION,
)
"""Every activity of the platform, in the order the notice tells them."""


def by_key(key: str, activities: Iterable[Activity] = ACTIVITIES) -> Activity:
    """The activity named `key`."""
    for activity in activities:
        if activity.key == key:
            return activity
    raise LookupError(f"no processing activity {key!r}")


def _named(metadata: MetaData, pattern: str) -> list[tuple[str, str]]:
    if pattern == "*":
        return [(t.name, c.name) for t in metadata.sorted_tables for c in t.columns]
    table, _, column = pattern.partition(".")
    found = metadata.tables.get(table)
    if found is None:
        return []
    if column == "*":
        return [(table, c.name) for c in found.columns]
    return [(table, column)] if column in found.columns else []


def _personal(metadata: MetaData, table: str, column: str) -> Personal | None:
    declaration = declaration_of(metadata.tables[table].columns[column])
    return declaration if isinstance(declaration, Personal) else None


def columns(metadata: MetaData, activity: Activity, *, written: bool = False) -> list[Any]:
    """The personal columns an activity may read (or write), with their declarations."""
    patterns = activity.writes if written else activity.reads + activity.writes
    found = {}
    for pattern in patterns:
        for table, column in _named(metadata, pattern):
            declaration = _personal(metadata, table, column)
            if declaration is not None:
                found[(table, column)] = declaration
    return sorted(found.items())


def problems(metadata: MetaData, activities: Iterable[Activity] = ACTIVITIES) -> list[str]:
    """Names that match no column, columns used for none of their declared purposes
    (P02: an activity may touch a column only if the column declares one of the
    activity's purposes), and keys used twice."""
    found: list[str] = []
    seen: set[str] = set()
    for activity in activities:
        if activity.key in seen:
            found.append(f"activity {activity.key!r} declared twice")
        seen.add(activity.key)
        for pattern in activity.reads + activity.writes:
            if not _named(metadata, pattern):
                found.append(f"activity {activity.key!r}: {pattern!r} names no column")
        if activity.stores_only or "*" in activity.reads + activity.writes:
            continue  # keeping, disposing of, or answering for every column, whatever it is for
        for (table, column), declaration in columns(metadata, activity):
            if not set(activity.purposes) & set(declaration.purposes):
                found.append(
                    f"activity {activity.key!r} uses {table}.{column}, which declares none of "
                    f"its purposes ({', '.join(p.value for p in activity.purposes)})"
                )
    return found


def unwritten(metadata: MetaData, activities: Iterable[Activity] = ACTIVITIES) -> list[str]:
    """Personal columns no activity writes, except through ``*`` (minimisation, P03):
    either wire them where users expect them, or drop them."""
    written: set[tuple[str, str]] = set()
    for activity in activities:
        if activity.stores_only:
            continue  # keeping and disposing collect nothing
        for pattern in activity.writes:
            if pattern != "*":  # erasure and rectification change data, they collect none
                written.update(_named(metadata, pattern))
    return [
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(declaration_of(column), Personal) and (table.name, column.name) not in written
    ]
