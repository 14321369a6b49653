"""What people share in a meeting besides sound: chat, polls, questions and files.

Everything here is meeting content (the data map's ``MEETING_CONTENT`` profile): the
customer's data, processed on their behalf (processor scope), confidential so
encrypted at rest under the customer's key, kept for the period the customer sets
(P16), in the access export of its author and erased on request. The live session
(:mod:`interpreta.live.content`) calls these functions and delivers the results.
"""
