"""The platform in the listener's language: message catalogues (gettext, Babel), the
choice of language, and what the pages and their scripts need of it.

``locales`` says which languages there are and picks one for a visitor (their choice,
else their browser's); ``catalogues`` reads the translations (``locale/*/LC_MESSAGES/
messages.po``) and gives the pages ``gettext`` for the current language and the page
scripts their share of the catalogue. English is the source language: its catalogue is
the identity.
"""
