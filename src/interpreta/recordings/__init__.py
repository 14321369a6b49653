"""Recordings of an event's channels: the floor and each interpretation, one each.

The sound is meeting content (the customer's, processor scope), encrypted in the
database chunk by chunk as it is recorded, kept for the customer's retention period
(P16). Who was heard when is recorded beside it (``recording_voices``), so a person's
access export lists the recordings they are heard in and their erasure removes them
from the list. The live side (:mod:`interpreta.live.recording`) records; the organiser
plays back and downloads each channel's recording.
"""
