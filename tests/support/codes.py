"""Collection code journeys through the public API: show a code, issue, revoke, pay by code."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.wallet_flows import PIN, SUCCESS, WalletAccount, errors

CODE_FIELDS = "id payload qrSvg imagePath amount { amount currency } memo static createdAt revokedAt"

MY_CODE = f"{{ myCollectionCode {{ {CODE_FIELDS} }} }}"
MY_CODES = f"{{ myCollectionCodes {{ {CODE_FIELDS} }} }}"
_CODE_ERRORS = "... on Error { code message } ... on InvalidInputError { fields { field message } }"
CREATE = f"""mutation($input: CreateCollectionCodeInput!) {{ createCollectionCode(input: $input) {{
  __typename ... on CollectionCodeSuccess {{ collectionCode {{ {CODE_FIELDS} }} }} {_CODE_ERRORS} }} }}"""
REVOKE = f"""mutation($input: RevokeCollectionCodeInput!) {{ revokeCollectionCode(input: $input) {{
  __typename ... on CollectionCodeSuccess {{ collectionCode {{ {CODE_FIELDS} }} }} ... on Error {{ code message }}
  }} }}"""
PAY = f"""mutation($input: PayByCodeInput!) {{ payByCode(input: $input) {{ __typename {SUCCESS}
  ... on CollectionCodeRefusedError {{ reason }}
  {errors("InvalidInputError", "InvalidPinError", "VerificationRequiredError", "InsufficientFundsError",
          "LimitExceededError", "RecipientUnavailableError")} }} }}"""


async def my_code(who: WalletAccount) -> dict[str, Any]:
    data = await who.client.gql(MY_CODE)
    code = data["myCollectionCode"]
    assert code is not None, data
    return code  # type: ignore[no-any-return]


async def create(who: WalletAccount, amount: str, memo: str = "") -> dict[str, Any]:
    return await who.client.mutate("createCollectionCode", CREATE, {"input": {"amount": amount, "memo": memo}})


async def revoke(who: WalletAccount, code_id: str) -> dict[str, Any]:
    return await who.client.mutate("revokeCollectionCode", REVOKE, {"input": {"codeId": code_id}})


async def pay(payer: WalletAccount, payload: str, amount: str | None = None, *, memo: str = "",
              key: str | None = None, pin: str | None = PIN) -> dict[str, Any]:
    return await payer.client.mutate("payByCode", PAY, {"input": {
        "payload": payload, "amount": amount, "memo": memo, "pin": pin,
        "idempotencyKey": key or str(uuid.uuid4())}})
