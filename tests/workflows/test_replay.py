"""Every recorded history replays on today's workflow code: a change that would break a running
case (a command added, removed or reordered without `workflow.patched`) fails here. The list is
explicit, so a missing file fails too, and an unlisted one is not silently skipped."""

from __future__ import annotations

import json

import pytest
from temporalio.client import WorkflowHistory

from tests.support.histories import HISTORIES, replayer
from tests.support.host import ClockHostWorkflow
from workflows.registry import WORKFLOWS

RECORDED = {
    # Before the case kit, with regular activities (cases started then still run today).
    "2026-11": ["deadline_national_day", "disclosure_abandoned", "disclosure_consultation", "disclosure_correction",
                "disclosure_extension_approved", "disclosure_extension_refused", "disclosure_on_time",
                "disclosure_overdue", "disclosure_withdrawal", "incident_late_registration", "incident_on_time",
                "incident_opinion", "incident_press_overdue"],
    # The case kit, with local activities.
    "2026-12": ["deadline_national_day", "disclosure_abandoned", "disclosure_consultation", "disclosure_correction",
                "disclosure_extension_approved", "disclosure_extension_refused", "disclosure_on_time",
                "disclosure_overdue", "disclosure_withdrawal", "incident_late_registration", "incident_on_time",
                "incident_opinion", "incident_press_overdue", "policy_attribute_review", "policy_complete",
                "policy_government_returned", "policy_late_interpretation", "policy_publication_date",
                # A draft of the government office itself (patch policy-own-draft-to-leader); a clock that
                # cannot be computed (patch deadline-failure).
                "policy_own_draft", "disclosure_clock_failed"],
    # Payloads encrypted (gongkai.codec): the replayer opens them with the tests' key.
    "2026-12-sealed": ["deadline_national_day", "disclosure_abandoned", "disclosure_clock_failed",
                      "disclosure_consultation", "disclosure_correction", "disclosure_extension_approved",
                      "disclosure_extension_refused", "disclosure_on_time", "disclosure_overdue",
                      "disclosure_reply_files", "disclosure_withdrawal", "incident_late_registration",
                      "incident_on_time", "incident_opinion",
                      "incident_press_overdue", "policy_attribute_review", "policy_complete",
                      "policy_government_returned", "policy_late_interpretation", "policy_own_draft",
                      "policy_publication_date",
                      # Corrections sent online and dated receipts (patch correction-received-date); the
                      # office's clock for confirming an online request (patch confirmation-clock).
                      "disclosure_correction_online", "disclosure_correction_post",
                      "disclosure_confirmation_overdue",
                      # Letters as official documents (patches receipt-letter, consultation-letters).
                      "disclosure_letters", "disclosure_receipt_online",
                      # The website publication recorded with its time (record_website's optional `at`).
                      "policy_website",
                      # The handling officer told of returns, extensions, 督办 (patch officer-notices).
                      "disclosure_officer_notices", "policy_drafter_told",
                      # Incidents: a 督办 with its notice and feedback clock (new updates supervise,
                      # supervision_feedback); a release on several channels with link and screenshot.
                      "incident_supervision", "incident_several_channels",
                      # Versions made at submission, not at every save (patch policy-version-at-submit).
                      "policy_version_at_submit",
                      # The daily digest, as its schedule starts it.
                      "digest_working_day",
                      # Cases carrying their rules version (RuleBook in the input): one moved to version 2
                      # by the recompute update; a 临沂 incident without the 5 h clock.
                      "disclosure_rules_applied", "incident_linyi_rules",
                      # Proactive disclosure: a 双公示 item published on time; a confidentiality review
                      # that returns an item.
                      "publication_penalty_on_time", "publication_secrecy_returned",
                      # A normative document's website and gazette as publication items of their own
                      # (patch policy-publication-items): the case starts them as child workflows.
                      "policy_publication_items"],
    # Each step of a case one activity (patch one-step): its clocks' moves and closes, and a
    # disclosure request's row, written with the projection; every case's history recorded again.
    "2026-12-one-step": ["disclosure_abandoned", "disclosure_clock_failed", "disclosure_confirmation_overdue",
                         "disclosure_consultation", "disclosure_correction", "disclosure_correction_online",
                         "disclosure_correction_post", "disclosure_extension_approved",
                         "disclosure_extension_refused", "disclosure_letters", "disclosure_officer_notices",
                         "disclosure_on_time", "disclosure_overdue", "disclosure_receipt_online",
                         "disclosure_reply_files", "disclosure_rules_applied", "disclosure_withdrawal",
                         "incident_late_registration", "incident_linyi_rules", "incident_on_time", "incident_opinion",
                         "incident_press_overdue", "incident_several_channels", "incident_supervision",
                         "policy_attribute_review", "policy_complete", "policy_drafter_told",
                         "policy_government_returned", "policy_late_interpretation", "policy_own_draft",
                         "policy_publication_date", "policy_publication_items", "policy_version_at_submit",
                         "publication_penalty_on_time", "publication_secrecy_returned"],
}
PATHS = [HISTORIES / era / f"{name}.json" for era, names in RECORDED.items() for name in names]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_a_recorded_history_replays(path):
    assert path.exists(), f"recorded history missing: {path} (record with GONGKAI_RECORD_HISTORIES=1)"
    history = WorkflowHistory.from_json(f"{path.parent.name}-{path.stem}", json.loads(path.read_text()))
    await replayer([*WORKFLOWS, ClockHostWorkflow]).replay_workflow(history)


def test_every_history_on_disk_is_replayed():
    on_disk = sorted(p.relative_to(HISTORIES) for p in HISTORIES.glob("*/*.json"))
    assert on_disk == sorted(p.relative_to(HISTORIES) for p in PATHS)


async def test_a_sealed_history_does_not_open_without_the_key():
    """What Temporal keeps of a case recorded with the codec: nothing a replayer without the key (or
    anyone reading the history) can decode."""
    from temporalio.worker import Replayer

    path = HISTORIES / "2026-12-sealed" / "disclosure_on_time.json"
    history = WorkflowHistory.from_json("sealed", json.loads(path.read_text()))
    result = await Replayer(workflows=WORKFLOWS).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None and "binary/encrypted" in repr(result.replay_failure.__cause__ or
                                                                             result.replay_failure)
