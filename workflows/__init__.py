"""Workflows: one per case, deterministic and thin. They decide what happens next."""
