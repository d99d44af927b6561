"""Money requests in chat through the public API: ask, pay with the wallet, cancel."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.flows import Account
from tests.support.wallet_flows import PIN, WalletAccount, errors

REQUEST_FIELDS = """id state memo amount { amount currency } requester { id } conversationId
  paidBy { user { id } transferId }"""

_ERRORS = errors("InvalidInputError") + " ... on RequestClosedError { reason }"
_PAY_ERRORS = errors("InvalidInputError", "InvalidPinError", "InsufficientFundsError", "VerificationRequiredError") + \
    " ... on RequestClosedError { reason }"

REQUEST_MONEY = f"""mutation($input: RequestMoneyInput!) {{ requestMoney(input: $input) {{
  __typename ... on PaymentRequestSuccess {{ request {{ {REQUEST_FIELDS} }} }} {_ERRORS} }} }}"""

CANCEL = f"""mutation($input: CancelRequestInput!) {{ cancelRequest(input: $input) {{
  __typename ... on PaymentRequestSuccess {{ request {{ {REQUEST_FIELDS} }} }} {_ERRORS} }} }}"""

PAY = f"""mutation($input: PayRequestInput!) {{ payRequest(input: $input) {{
  __typename ... on PayRequestSuccess {{ transferId request {{ {REQUEST_FIELDS} }} }} {_PAY_ERRORS} }} }}"""

NODE = f"query($id: ID!) {{ node(id: $id) {{ id ... on PaymentRequest {{ {REQUEST_FIELDS} }} }} }}"


async def ask(account: Account, conversation_id: str, amount: str, memo: str = "") -> dict[str, Any]:
    """Post a request; returns the request (asserts success)."""
    result = await account.client.mutate("requestMoney", REQUEST_MONEY, {"input": {
        "conversationId": conversation_id, "amount": amount, "memo": memo}})
    assert result["__typename"] == "PaymentRequestSuccess", result
    return result["request"]  # type: ignore[no-any-return]


async def pay(who: WalletAccount, request_id: str, *, key: str | None = None, pin: str = PIN,
              step_up_code: str | None = None) -> dict[str, Any]:
    """payRequest's union payload."""
    return await who.client.mutate("payRequest", PAY, {"input": {
        "requestId": request_id, "pin": pin, "idempotencyKey": key or str(uuid.uuid4()),
        "stepUpCode": step_up_code}})


async def cancel(account: Account, request_id: str) -> dict[str, Any]:
    return await account.client.mutate("cancelRequest", CANCEL, {"input": {"requestId": request_id}})


async def seen(account: Account, request_id: str) -> dict[str, Any] | None:
    """The request as `node(id:)` shows it to this account (None: indistinguishable from missing)."""
    return (await account.client.gql(NODE, {"id": request_id}))["node"]  # type: ignore[no-any-return]
