"""Data-subject rights (GDPR Art. 15-22): finding a person's data by walking the data
map, and answering access, portability, rectification, erasure, restriction and
objection requests, routed by scope (P01) and tracked against their deadline (P34).
"""
