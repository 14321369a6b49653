"""Server-rendered pages (Jinja2) with plain ES-module JavaScript."""
