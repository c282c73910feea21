"""The web: Litestar pages (Jinja, htmx) and the JSON API, reading SQL and sending actions to workflows."""
