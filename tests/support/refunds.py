"""Refunds through the public API."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.wallet_flows import PIN, WalletAccount, errors

REFUND = """mutation($input: RefundTransferInput!) { refundTransfer(input: $input) { __typename
  ... on RefundSuccess { refund { id kind state amount { amount } memo } original { id }
                         refundedTotal { amount } wallet { balance { amount } } }
  ... on RefundRefusedError { reason remaining { amount } } """ + errors("InvalidPinError") + " } }"


async def refund(who: WalletAccount, transfer_id: str, amount: str, *, reason: str = "overpaid",
                 key: str | None = None, pin: str = PIN) -> dict[str, Any]:
    return await who.client.mutate("refundTransfer", REFUND, {"input": {
        "transferId": transfer_id, "amount": amount, "reason": reason, "pin": pin,
        "idempotencyKey": key or str(uuid.uuid4())}})
