"""Gongkai core: settings, errors, logging, the working-day calendar and the SLA clock."""
