"""The closed vocabularies a data-map declaration is written in.

Each member carries the plain words the generated privacy notice and records of
processing use for it, so the documents can never drift from the code.
"""

from __future__ import annotations

from enum import StrEnum


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

    IDENTIFIERS = "identifiers", "Identifiers (name, email address, phone number, user ID)"
    ACCOUNT = "account", "Account and plan data"
    COMMERCIAL = "commercial", "Commercial data (purchased services, contact with sales)"
    FINANCIAL = "financial", "Financial data (invoices, payments)"
    TECHNICAL = "technical", "Technical data about your equipment (browser, OS, device type, IP)"
    CONNECTION = "connection", "Connection data (session IDs, media session IDs, join/leave times)"
    SETTINGS = "settings", "Settings and preferences"
    REGISTRATION = "registration", "Registration answers"
    MEETING_CONTENT = (
        "meeting_content",
        "Meeting content (audio, chat, transcripts, answers, files)",
    )
    USAGE_EVENTS = "usage_events", "Usage events (mute/unmute, channel switches)"
    COMMUNICATIONS = "communications", "Communications with sales and support"
    NEWSLETTER = "newsletter", "Newsletter subscription data"
    COOKIES = "cookies", "Website cookies"
    SECURITY = "security", "Security data (login sessions, audit records)"


class Subject(_Described):
    """Categories of data subjects."""

    CUSTOMER_USER = "customer_user", "users of our customers' accounts (organisers, interpreters)"
    CUSTOMER_CONTACT = "customer_contact", "our customers' billing and contract contacts"
    PARTICIPANT = "participant", "people taking part in events (listeners, speakers, interpreters)"
    STAFF = "staff", "the operator's staff"
    SUBSCRIBER = "subscriber", "newsletter subscribers"
    CONTACT = "contact", "people in an address book an organiser imported"
    VISITOR = "visitor", "website visitors"


class Purpose(_Described):
    """Declared purposes of processing (promise P02)."""

    PROVIDE_EVENTS = "provide_events", "to run live events and their interpretation"
    ACCOUNT_MANAGEMENT = "account_management", "to manage customer accounts and sign-in"
    BILLING = "billing", "to invoice and collect payment"
    SECURITY = "security", "to keep the service and accounts secure"
    SUPPORT = "support", "to answer support requests"
    TROUBLESHOOTING = "troubleshooting", "to troubleshoot connection and audio problems"
    PRODUCT_ANALYTICS = "product_analytics", "to produce anonymised usage statistics"
    MARKETING = "marketing", "to send the newsletter you subscribed to"
    SALES = "sales", "to manage our relationship with customers"
    LEGAL_COMPLIANCE = "legal_compliance", "to meet legal obligations (accounting, breach records)"
    CALENDAR = (
        "calendar",
        "to publish your events to your calendar and import your contacts to invite them, "
        "once you connect it",
    )


class LegalBasis(_Described):
    """GDPR Art. 6(1) legal bases."""

    CONTRACT = "contract", "performance of a contract (Art. 6(1)(b) GDPR)"
    LEGAL_OBLIGATION = "legal_obligation", "compliance with a legal obligation (Art. 6(1)(c) GDPR)"
    LEGITIMATE_INTEREST = "legitimate_interest", "legitimate interests (Art. 6(1)(f) GDPR)"
    CONSENT = "consent", "consent (Art. 6(1)(a) GDPR)"


class Scope(_Described):
    """Who decides about the data (promise P01)."""

    CONTROLLER = "controller", "the operator, as controller"
    PROCESSOR = "processor", "our customer (the event organiser); the operator acts as processor"
