"""The operator's newsletter (P06, P12): double opt-in subscriptions whose consent is
recorded with its text and version, issues queued per subscriber and delivered
DKIM-signed with RFC 8058's one-click unsubscribe, which takes effect at once (a queued
mail to someone who left is never sent)."""
