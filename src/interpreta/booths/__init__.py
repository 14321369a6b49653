"""Booth work outside the live session: the booth's shared glossary, and each
interpreter's time on air (for the customer's invoicing)."""
