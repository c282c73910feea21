"""Benchmark: what encrypting Temporal's payloads and proving actors costs, per call, on this
machine (no Temporal: the codec and the proof alone, on payloads the size of real ones).

Payloads: a disclosure request's workflow input (the applicant, a long description), a case's view
(what every update returns and every projection carries), and a small update argument. Prints
microseconds per encode, decode and proof (sign, and verify as the worker does), the best of
--rounds rounds of --n calls.

    .venv/bin/python -m bench.codec
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from bench.system import machine, table


def _payloads() -> dict:
    from temporalio.converter import DataConverter

    from gongkai.roles import Actor, DepartmentKind, Role
    from tests.workflows.disclosure_support import request_input

    inp = request_input("DR-2026-000001", 3, datetime.now(UTC))
    view = {"request_id": "DR-2026-000001", "stage": "handling", "version": 12,
            "timeline": [{"at": "2026-11-02T01:00:00+00:00", "actor": "jyj_officer", "action": f"step{i}",
                          "summary": "办理中" * 10} for i in range(20)]}
    actor = Actor(7, "jyj_officer", Role.OFFICER, 3, DepartmentKind.DEPARTMENT)
    convert = DataConverter.default.payload_converter
    return {"workflow input": convert.to_payloads([inp]), "case view": convert.to_payloads([view]),
            "update argument": convert.to_payloads([actor, "同意"])}


async def _codec(n: int, rounds: int) -> list[list]:
    from gongkai.codec import EncryptionCodec, ring_for

    codec = EncryptionCodec(ring_for("a-benchmark-secret-of-some-length"))
    rows = []
    for name, plain in _payloads().items():
        size = sum(len(p.SerializeToString()) for p in plain)
        sealed = await codec.encode(plain)
        best_enc = best_dec = float("inf")
        for _ in range(rounds):
            t = time.perf_counter()
            for _ in range(n):
                await codec.encode(plain)
            best_enc = min(best_enc, (time.perf_counter() - t) / n * 1e6)
            t = time.perf_counter()
            for _ in range(n):
                await codec.decode(sealed)
            best_dec = min(best_dec, (time.perf_counter() - t) / n * 1e6)
        grown = sum(len(p.SerializeToString()) for p in sealed) - size
        rows.append([name, size, grown, best_enc, best_dec])
    return rows


def _proof(n: int, rounds: int) -> list[float]:
    from gongkai import proof
    from gongkai.keys import KeyRing
    from gongkai.roles import Actor, DepartmentKind, Role

    ring = KeyRing.of(proof.PURPOSE, "a-benchmark-secret-of-some-length")
    actor = Actor(7, "jyj_officer", Role.OFFICER, 3, DepartmentKind.DEPARTMENT)
    now = datetime.now(UTC)
    token = proof.sign(ring, "DR-2026-000001", "claim", "u1", actor, 300)
    best_sign = best_verify = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            proof.sign(ring, "DR-2026-000001", "claim", "u1", actor, 300)
        best_sign = min(best_sign, (time.perf_counter() - t) / n * 1e6)
        t = time.perf_counter()
        for _ in range(n):
            assert proof.verify(ring, token, "DR-2026-000001", "claim", "u1", actor, now) is None
        best_verify = min(best_verify, (time.perf_counter() - t) / n * 1e6)
    return [best_sign, best_verify]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows = asyncio.run(_codec(args.n, args.rounds))
    print(table(["payload", "bytes", "+bytes sealed", "encode µs", "decode µs"], rows,
                "AES-256-GCM payload codec (gongkai/codec.py), per call"))
    sign, verify = _proof(args.n, args.rounds)
    print(table(["", "µs"], [["sign (web)", sign], ["verify (worker)", verify]],
                "actor proof (gongkai/proof.py), per update"))
    print(machine())


if __name__ == "__main__":
    main()
