"""Equal-time code requests: for sign-up, password reset and sign-in codes the request runs the very
same database statements whether or not an account exists; issuing (or not) happens after the answer,
in a background task."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

import pytest

from tests.support import flows
from tests.support.client import GraphQLClient, fresh_phone
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink

MakeClient = Callable[..., GraphQLClient]


class StatementsByTask(logging.Handler):
    """The SQL the ORM sends, with the asyncio task that sent it (handlers run in the caller's task)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return
        sql = record.getMessage().split(": [")[0]
        self.seen.append((task.get_name() if task else "", re.sub(r"\s+", " ", sql)))


async def _statements(client: GraphQLClient, phone: str, purpose: str) -> list[str]:
    logger = logging.getLogger("tortoise.db_client")
    handler, level = StatementsByTask(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        result = await client.mutate("requestVerificationCode", flows.REQUEST_CODE, {"input": {
            "channel": "SMS", "purpose": purpose, "phone": phone}})
        assert result["__typename"] == "CodeRequested", result
        await asyncio.sleep(0.3)  # let the background task run too
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    # the request's own task is the one that asked whether the phone has an account; workers (relays,
    # mail delivery) and the background issuing task run in others
    (request_task,) = {task for task, sql in handler.seen if 'FROM "users" WHERE "phone"' in sql}
    return [sql for task, sql in handler.seen if task == request_task]


@pytest.mark.parametrize(("purpose", "sent_when_known"), [("REGISTER", False), ("RESET_PASSWORD", True),
                                                          ("LOGIN", True)])
async def test_code_requests_run_the_same_statements_for_known_and_unknown_phones(
        purpose: str, sent_when_known: bool, new_client: MakeClient, sms_sink: SmsSink,
        server: RunningServer) -> None:
    known = await flows.register(new_client(), sms_sink)
    await server.runtime.limiter.clear(f"code-dest-min:{known.phone}", 1, server.settings.code_resend_seconds)
    unknown = fresh_phone()
    sms_before = len(sms_sink.to(known.phone))
    for_known = await _statements(new_client(), known.phone, purpose)
    for_unknown = await _statements(new_client(), unknown, purpose)
    assert for_known == for_unknown
    assert any("SELECT" in sql for sql in for_known)
    assert not any(sql.startswith(("INSERT", "UPDATE")) for sql in for_known)  # issuing is not in the request
    # and the code went where it should, and only there
    if sent_when_known:
        await sms_sink.code_for(known.phone, skip=sms_before)
        assert sms_sink.to(unknown) == []
    else:
        await sms_sink.code_for(unknown)
        await asyncio.sleep(0.3)
        assert len(sms_sink.to(known.phone)) == sms_before
