"""The operator's customer relationship records (P10): the people it deals with at each
customer, notes of what was said, and the deals under discussion, kept at most five years
after the customer's account is closed."""
