"""The REST API (JSON), documented at /docs."""
