"""Customer webhooks: an organisation's own HTTPS endpoints told of its events' lifecycle
(created, updated, live, ended, deleted), signed as Standard Webhooks does, retried with
back-off, and sent only through the outbound guard, which reaches the endpoint's own
registered host alone and never a private or loopback address (P07)."""
