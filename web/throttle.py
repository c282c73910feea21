"""The limits on the web's open doors, kept in SQL (gongkai/throttle.py) so that they hold across
web processes: logging in (per account, growing delays; per address, a higher cap, since an
office shares one address), /track (wrong query codes per address and per case) and the public
intake form (per address). Each check comes before the password or code is looked at."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import ceil

from litestar import Request

from gongkai.clock import CST
from gongkai.errors import GongkaiError, TooManyAttempts
from gongkai.logs import get_logger
from gongkai.throttle import Limiter, Policy, Verdict

log = get_logger(__name__)

# An account: three mistakes pass at once, then 1 s, 2 s, 4 s … (base × 2ⁿ), never more than five
# minutes, so a guesser cannot keep a colleague out for longer; counts restart after a quiet hour.
LOGIN_FREE, LOGIN_MAX_WAIT, LOGIN_QUIET = 3, 300.0, timedelta(hours=1)
# An address: only a secondary cap against one machine guessing many accounts. A whole office shares
# one address behind its NAT, so the cap is far above what its people's typos reach (30 locked an
# office out for a quarter of an hour); the delays that slow a guesser down are the account's.
LOGIN_ADDRESS = Policy.capped(200, timedelta(minutes=15))
TRACK_ADDRESS = Policy.capped(20, timedelta(minutes=15))
TRACK_CASE = Policy.capped(10, timedelta(minutes=15))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def retry_text(retry_at: datetime, now: datetime) -> str:
    seconds = max(1, ceil((retry_at - now).total_seconds()))
    span = f"{seconds}秒" if seconds < 60 else f"{ceil(seconds / 60)}分钟"
    return f"请于{retry_at.astimezone(CST):%H:%M:%S}之后再试（约{span}）"


def retry_after(exc: GongkaiError) -> dict[str, str]:
    """The Retry-After header for a refusal from here (none for other errors)."""
    seconds = exc.detail.get("retry_after")
    return {"Retry-After": str(seconds)} if seconds else {}


@dataclass
class Pass:
    """The attempts one request was let through with; `succeeded` takes them back (a right
    password or query code is not a failure), clearing the keys in `clear` altogether."""

    limiter: Limiter
    taken: list[Verdict]
    clear: set[str] = field(default_factory=set)

    async def succeeded(self) -> None:
        await self.limiter.undo(*self.taken, clear=frozenset(self.clear))


class Throttles:
    def __init__(self, limiter: Limiter, *, login_delay_base: float, intake: Policy) -> None:
        self.limiter = limiter
        self.login_account = Policy.growing(LOGIN_FREE, login_delay_base, LOGIN_MAX_WAIT, LOGIN_QUIET)
        self.intake_policy = intake

    async def _take(self, checks: list[tuple[str, Policy, str]], event: str, **context: str) -> Pass:
        """Counts one attempt on each key in turn; the first refusal raises (and takes back the
        attempts already counted on the keys before it: nothing was tried)."""
        taken: list[Verdict] = []
        for key, policy, refusal in checks:
            verdict = await self.limiter.attempt(key, policy)
            if not verdict.allowed:
                await self.limiter.undo(*taken)
                now = self.limiter.clock()
                retry_at = max(verdict.retry_at or now, now)
                log.warning(event, limit=key.split(":", 1)[0], attempts=verdict.attempts, **context)
                raise TooManyAttempts(f"{refusal}，{retry_text(retry_at, now)}",
                                      detail={"retry_after": max(1, ceil((retry_at - now).total_seconds()))})
            taken.append(verdict)
        return Pass(self.limiter, taken)

    async def login(self, client: str, username: str) -> Pass:
        """Before a password is checked: the address's cap first (so an address over it cannot add
        to anyone's delay), then the account's delay. A success clears the account's count."""
        account = f"login-user:{username.lower()}"
        attempt = await self._take([
            (f"login-addr:{client}", LOGIN_ADDRESS, "此网络地址登录失败次数过多"),
            (account, self.login_account, "该账号登录失败次数过多"),
        ], "login_throttled", username=username, client=client)
        attempt.clear.add(account)
        return attempt

    async def track(self, client: str, case_id: str) -> Pass:
        """Before a query code is checked, per address and per case (a case's applicant may be
        refused for the rest of the window if someone else keeps guessing: the cost of the cap)."""
        return await self._take([
            (f"track-addr:{client}", TRACK_ADDRESS, "查询失败次数过多"),
            (f"track-case:{case_id[:40]}", TRACK_CASE, "该受理编号的查询失败次数过多"),
        ], "track_throttled", client=client)

    async def intake(self, client: str) -> None:
        """New public submissions per address: each one counts, taken back by nothing."""
        await self._take([(f"intake-addr:{client}", self.intake_policy, "提交过于频繁")], "intake_throttled",
                         client=client)
