"""Registration for events: the organiser's form and questions, acceptance (automatic
while places last, or by an organiser), the waiting list, mails with calendar
invitations and a personal join link, reminders, and the feedback survey after the
event."""
