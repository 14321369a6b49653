"""The closed vocabularies a data-map declaration is written in.

Each member carries the plain words the generated privacy notice and records of
processing use for it, so the documents can never drift from the code.
"""

from __future__ import annotations

from enum import StrEnum

from interpreta.i18n.catalogues import N_


class _Described(StrEnum):
    """A string enum whose members carry a human label."""

    label: str

    def __new__(cls, value: str, label: str) -> _Described:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class Category(_Described):
    """Data categories (promise P04)."""

    IDENTIFIERS = "identifiers", N_("Identifiers (name, email address, phone number, user ID)")
    ACCOUNT = "account", N_("Account and plan data")
    COMMERCIAL = "commercial", N_("Commercial data (purchased services, contact with sales)")
    FINANCIAL = "financial", N_("Financial data (invoices, payments)")
    TECHNICAL = (
        "technical",
        N_("Technical data about your equipment (browser, OS, device type, IP)"),
    )
    CONNECTION = (
        "connection",
        N_("Connection data (session IDs, media session IDs, join/leave times)"),
    )
    SETTINGS = "settings", N_("Settings and preferences")
    REGISTRATION = "registration", N_("Registration answers")
    MEETING_CONTENT = (
        "meeting_content",
        N_("Meeting content (audio, chat, transcripts, answers, files)"),
    )
    USAGE_EVENTS = "usage_events", N_("Usage events (mute/unmute, channel switches)")
    COMMUNICATIONS = "communications", N_("Communications with sales and support")
    NEWSLETTER = "newsletter", N_("Newsletter subscription data")
    COOKIES = "cookies", N_("Website cookies")
    SECURITY = "security", N_("Security data (login sessions, audit records)")
    ENGAGEMENT = (
        "engagement",
        N_("Engagement estimates (speaking time, participation, a face on camera; never emotions)"),
    )


class Subject(_Described):
    """Categories of data subjects."""

    CUSTOMER_USER = (
        "customer_user",
        N_("users of our customers' accounts (organisers, interpreters)"),
    )
    CUSTOMER_CONTACT = "customer_contact", N_("our customers' billing and contract contacts")
    PARTICIPANT = (
        "participant",
        N_("people taking part in events (listeners, speakers, interpreters)"),
    )
    STAFF = "staff", N_("the operator's staff")
    SUBSCRIBER = "subscriber", N_("newsletter subscribers")
    CONTACT = "contact", N_("people in an address book an organiser imported")
    VISITOR = "visitor", N_("website visitors")


class Purpose(_Described):
    """Declared purposes of processing (promise P02)."""

    PROVIDE_EVENTS = "provide_events", N_("to run live events and their interpretation")
    ACCOUNT_MANAGEMENT = "account_management", N_("to manage customer accounts and sign-in")
    BILLING = "billing", N_("to invoice and collect payment")
    SECURITY = "security", N_("to keep the service and accounts secure")
    SUPPORT = "support", N_("to answer support requests")
    TROUBLESHOOTING = "troubleshooting", N_("to troubleshoot connection and audio problems")
    PRODUCT_ANALYTICS = "product_analytics", N_("to produce anonymised usage statistics")
    MARKETING = "marketing", N_("to send the newsletter you subscribed to")
    SALES = "sales", N_("to manage our relationship with customers")
    LEGAL_COMPLIANCE = (
        "legal_compliance",
        N_("to meet legal obligations (accounting, breach records)"),
    )
    AUTOMATED_ASSESSMENT = (
        "automated_assessment",
        N_(
            "to estimate, for an organiser who turns it on, how much each participant took "
            "part (speaking time, chat, polls, questions, a face on camera)"
        ),
    )
    CALENDAR = (
        "calendar",
        N_(
            "to publish your events to your calendar and import your contacts to invite them, "
            "once you connect it"
        ),
    )


class LegalBasis(_Described):
    """GDPR Art. 6(1) legal bases."""

    CONTRACT = "contract", N_("performance of a contract (Art. 6(1)(b) GDPR)")
    LEGAL_OBLIGATION = (
        "legal_obligation",
        N_("compliance with a legal obligation (Art. 6(1)(c) GDPR)"),
    )
    LEGITIMATE_INTEREST = "legitimate_interest", N_("legitimate interests (Art. 6(1)(f) GDPR)")
    CONSENT = "consent", N_("consent (Art. 6(1)(a) GDPR)")


class Scope(_Described):
    """Who decides about the data (promise P01)."""

    CONTROLLER = "controller", N_("the operator, as controller")
    PROCESSOR = (
        "processor",
        N_("our customer (the event organiser); the operator acts as processor"),
    )
