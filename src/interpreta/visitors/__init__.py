"""Website visitors: their answers to the cookie banner, recorded as proof of consent and
of its withdrawal (P05)."""
