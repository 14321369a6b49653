"""Events, their topics, languages, channels and booths, and the people in them."""
