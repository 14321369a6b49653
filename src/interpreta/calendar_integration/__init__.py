"""The opt-in calendar integration (P19): an organiser connects a CalDAV calendar, to
which their events are published, and a CardDAV address book, whose contacts are
imported to invite; disconnecting deletes the credentials and every imported contact."""
