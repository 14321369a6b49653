"""Calendars: invitations (.ics) and the CalDAV/CardDAV client of the opt-in calendar
integration (P19)."""
