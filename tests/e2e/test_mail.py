"""Mail goes through the outbox: a server that is down delays a code, never loses or doubles it."""

from __future__ import annotations

import asyncio
import os

from models import OutboundMessage
from tests.support import flows
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import MailSink, SmsSink

# How long the mail server stays down. The issue asks for a minute; CI runs that, a laptop less.
OUTAGE_SECONDS = float(os.environ.get("MAIL_OUTAGE_SECONDS", "60" if os.environ.get("CI") == "true" else "5"))
ADD_EMAIL = 'mutation($e: String!) { addEmail(input: {email: $e}) { __typename ... on Error { code } } }'


async def _message_for(address: str) -> OutboundMessage:
    return await OutboundMessage.get(recipient=address)


async def _wait_for_status(message_id: int, status: str, timeout: float = 10.0) -> OutboundMessage:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        message = await OutboundMessage.get(id=message_id)
        if message.status == status:
            return message
        assert asyncio.get_running_loop().time() < deadline, f"message {message_id} is still {message.status}"
        await asyncio.sleep(0.05)


async def test_code_survives_a_mail_server_outage_and_arrives_once(
        client: GraphQLClient, sms_sink: SmsSink, mail_sink: MailSink, server: RunningServer) -> None:
    account = await flows.register(client, sms_sink)
    address = f"outage-{account.phone[1:]}@example.com"
    mail_sink.stop()
    try:
        # Given the mail server is down when the code is requested
        assert await client.mutate("addEmail", ADD_EMAIL, {"e": address}) == {"__typename": "UserSuccess"}
        await asyncio.sleep(OUTAGE_SECONDS)
        # Then the code waits in the outbox, retried with backoff, not lost
        waiting = await _message_for(address)
        assert waiting.status == "pending"
        assert waiting.attempts >= 2
        assert waiting.last_error == "SMTPConnectError"
        assert waiting.body_sealed != ""
        assert mail_sink.to(address) == []
    finally:
        mail_sink.start()
    # When it comes back the code arrives, and works
    code = await mail_sink.code_for(address, timeout=2 * server.settings.mail_retry_cap_seconds + 5)
    sent = await _wait_for_status(waiting.id, "sent")
    assert (sent.body_sealed, sent.last_error) == ("", "")
    verified = await client.mutate("verifyEmail", "mutation($c: String!) { verifyEmail(input: {code: $c}) "
                                   "{ __typename } }", {"c": code})
    assert verified == {"__typename": "UserSuccess"}
    # and several retry periods later it has still been delivered exactly once
    await asyncio.sleep(3 * server.settings.mail_retry_cap_seconds)
    assert len(mail_sink.to(address)) == 1
    assert (await OutboundMessage.get(id=waiting.id)).attempts == sent.attempts


async def test_refused_address_is_marked_failed_and_not_retried(
        client: GraphQLClient, sms_sink: SmsSink, mail_sink: MailSink, server: RunningServer) -> None:
    account = await flows.register(client, sms_sink)
    address = f"nobody-{account.phone[1:]}@example.com"
    mail_sink.refused.add(address)
    try:
        assert await client.mutate("addEmail", ADD_EMAIL, {"e": address}) == {"__typename": "UserSuccess"}
        message = await _wait_for_status((await _message_for(address)).id, "failed")
        assert (message.attempts, message.body_sealed) == (1, "")
        assert message.last_error.startswith("SMTP recipients refused [550]")
        await asyncio.sleep(3 * server.settings.mail_retry_base_seconds + 2 * server.settings.outbox_poll_seconds)
        assert (await OutboundMessage.get(id=message.id)).attempts == 1
        assert mail_sink.to(address) == []
    finally:
        mail_sink.refused.discard(address)
