"""Disclosure requests on the web: the public form and status page, officers' case pages."""
