"""Interpreta: live multilingual events with remote simultaneous interpretation."""

__version__ = "0.1.0"
