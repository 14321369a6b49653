"""Engagement estimates (P37): speaking time and turns, participation in chat, polls and
Q&A, and a face present on camera, computed locally for the organiser when their
customer account turns them on, never for a person who opted out (P33), each labelled
as an estimate with its confidence, and sampled for human review. Nothing here infers
emotions from voice or face."""
