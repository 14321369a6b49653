"""Availability (P23): synthetic joins probed from outside, uptime against the target,
announced maintenance, and the public status page's figures."""
