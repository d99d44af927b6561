"""Red packets through the public API: send, open, look."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.flows import Account
from tests.support.wallet_flows import PIN, WalletAccount, errors

PACKET_FIELDS = """id total { amount currency } count split greeting state remainingCount
  remaining { amount } returned { amount } expiresAt closedAt conversationId messageId sender { id }
  claims { user { id } amount { amount } luckiest } myShare { amount } canOpen
  proof { commitment salt drawnMinor }"""

SEND = f"""mutation($input: SendRedPacketInput!) {{ sendRedPacket(input: $input) {{ __typename
  ... on RedPacketSent {{ redPacket {{ {PACKET_FIELDS} }} wallet {{ balance {{ amount }} }} }}
  {errors("InvalidInputError", "InvalidPinError", "InsufficientFundsError", "LimitExceededError")} }} }}"""

OPEN = f"""mutation($input: OpenRedPacketInput!) {{ openRedPacket(input: $input) {{ __typename
  ... on RedPacketOpened {{ amount {{ amount }} redPacket {{ id remainingCount state }} }}
  ... on RedPacketUnavailableError {{ reason }} {errors("VerificationRequiredError")} }} }}"""

GET = f"query($id: ID!) {{ redPacket(id: $id) {{ {PACKET_FIELDS} }} }}"


def send_input(conversation_id: str, total: str, count: int, split: str = "RANDOM", greeting: str = "恭喜发财",
               key: str | None = None, pin: str = PIN) -> dict[str, Any]:
    return {"input": {"conversationId": conversation_id, "total": total, "count": count, "split": split,
                      "greeting": greeting, "pin": pin, "idempotencyKey": key or str(uuid.uuid4())}}


async def send(who: WalletAccount, conversation_id: str, total: str, count: int, **kw: Any) -> dict[str, Any]:
    return await who.client.mutate("sendRedPacket", SEND, send_input(conversation_id, total, count, **kw))


async def sent(who: WalletAccount, conversation_id: str, total: str, count: int, **kw: Any) -> dict[str, Any]:
    """Send and return the packet (asserts success)."""
    result = await send(who, conversation_id, total, count, **kw)
    assert result["__typename"] == "RedPacketSent", result
    return result["redPacket"]  # type: ignore[no-any-return]


async def open_(who: Account | WalletAccount, packet_id: str) -> dict[str, Any]:
    return await who.client.mutate("openRedPacket", OPEN, {"input": {"redPacketId": packet_id}})


async def look(who: Account | WalletAccount, packet_id: str) -> dict[str, Any] | None:
    return (await who.client.gql(GET, {"id": packet_id}))["redPacket"]  # type: ignore[no-any-return]
