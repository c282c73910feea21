"""Every workflow the worker runs. Each process adds its workflow class here."""

from __future__ import annotations

from workflows.delivery import DeliveryWorkflow
from workflows.digest import DigestWorkflow
from workflows.disclosure import DisclosureWorkflow
from workflows.incident import IncidentWorkflow
from workflows.policy import PolicyWorkflow
from workflows.publication import PublicationWorkflow
from workflows.reconcile import ReconcileWorkflow

WORKFLOWS: list[type] = [DisclosureWorkflow, PolicyWorkflow, IncidentWorkflow, ReconcileWorkflow, DeliveryWorkflow,
                         DigestWorkflow, PublicationWorkflow]
