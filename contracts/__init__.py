"""Contracts: what each process accepts, shows and allows, in one place per process.

Workflow inputs, update payloads, a case's state and its view (what an update returns, what the
case row's `state` column holds, what pages read), the activity payloads, and each process's
action table. Workflows, activities and the web import these, never each other's internals; these
import only the standard library and `gongkai`.

No `from __future__ import annotations` here: a workflow decodes these types inside Temporal's
sandbox, where a string annotation is resolved through a module the sandbox may not have loaded
("name 'datetime' is not defined"); real annotations need no lookup."""
