"""Benchmark: what one letter costs. Rendering its HTML when it is issued (Jinja, in the projection
activity), and making its PDF on the first download (weasyprint, on a worker thread of the web):
the import of weasyprint, the first PDF of a process (fonts loaded), then the best of --rounds
for a reply letter with and without the seal, wall and CPU milliseconds, and the file's size.
Later downloads read the kept file.

    .venv/bin/python -m bench.letters
    .venv/bin/python -m bench.letters --rounds 20
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench.system import machine, table

SEAL = Path(__file__).resolve().parent.parent / "shell" / "data" / "demo-seal.png"


def _reply_html(seal: bool) -> str:
    from contracts.disclosure import Attachment, DisclosureView
    from gongkai.disclosure import Stage
    from gongkai.letters import render_disclosure_letter
    from gongkai.office import Office
    from models import DisclosureRequest

    office = Office("某某市示范区人民政府", "示区府公开", "某某市示范区人民路1号", "100000", "010-12345678",
                    "某某市人民政府", "某某市中级人民法院", "x" if seal else None)
    row = DisclosureRequest(
        id="DR-2026-000012", year=2026, idempotency_key="k", query_code_hash="", stage="replied",
        intake_channel="in_person", submitted_at=datetime(2026, 3, 2, 1, 30, tzinfo=UTC),
        received_date=date(2026, 3, 2), applicant_type="natural_person", applicant_name="王小明",
        id_doc_type="resident_id", id_doc_number="110101199001011234", description="本区2025年义务教育学校招生计划" * 3,
        provision_form="electronic", provision_channel="email", department_id=1, disposition="PARTIAL",
        reason="partial", reply_text="\n".join(["经查，您申请的信息中部分内容涉及第三方商业秘密，已作区分处理。"] * 6))
    view = DisclosureView(stage=Stage.REPLIED, department_id=1, reply_files=[
        Attachment(f"附件{i}.pdf", "application/pdf", 1, "a" * 64) for i in range(3)])
    return render_disclosure_letter("reply_PARTIAL", "政府信息公开申请答复书", row, view, office=office,
                                    doc_no="示区府公开答〔2026〕12号", due_at=None,
                                    now=datetime(2026, 12, 1, 3, tzinfo=UTC), seal=seal)


def _timed(fn, rounds: int) -> tuple[float, float, object]:
    best_wall = best_cpu = float("inf")
    result = None
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall * 1000, best_cpu * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    start = time.perf_counter()
    import weasyprint  # noqa: F401

    imported = (time.perf_counter() - start) * 1000
    from gongkai.letter_pdf import letter_pdf

    seal = SEAL.read_bytes()
    sealed, plain = _reply_html(True), _reply_html(False)
    first_wall, first_cpu, _ = _timed(lambda: letter_pdf(plain), 1)
    rows = [["import weasyprint (once per process)", imported, "-", "-"],
            ["first PDF of a process (fonts loaded)", first_wall, first_cpu, "-"]]
    html_wall, html_cpu, _ = _timed(lambda: _reply_html(True), args.rounds * 10)
    rows.append(["reply letter's HTML (at issuance)", html_wall, html_cpu, len(sealed.encode())])
    for label, body, image in (("reply letter's PDF, no seal", plain, None),
                               ("reply letter's PDF, with seal", sealed, seal)):
        wall, cpu, content = _timed(lambda b=body, i=image: letter_pdf(b, i), args.rounds)
        assert isinstance(content, bytes)
        rows.append([label, wall, cpu, len(content)])
    print(table(["step", "wall ms", "CPU ms", "bytes"], rows,
                title=f"One letter, best of {args.rounds} rounds (HTML: {args.rounds * 10})"))
    print(machine())


if __name__ == "__main__":
    main()
