"""The operator's support desk (P13, P14): tickets from the web form and by mail, replies by
mail, canned replies, SLA timers per plan counted in business hours with holidays,
escalation and the overdue queue, incidents linked to tickets."""
