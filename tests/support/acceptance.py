"""Transfers that wait for the recipient, through the public API."""

from __future__ import annotations

from typing import Any

from tests.support.wallet_flows import WalletAccount, errors

SETTINGS = """mutation($input: UpdateWalletSettingsInput!) { updateWalletSettings(input: $input) { __typename
  ... on WalletSettings { transferAcceptance } ... on Error { code message } } }"""

_DECIDED = """__typename
  ... on TransferDecided { transfer { id state amount { amount } } wallet { balance { amount } } }
  ... on TransferNotPendingError { state } """ + errors()

ACCEPT = f"""mutation($input: AcceptTransferInput!) {{ acceptTransfer(input: $input) {{ {_DECIDED} }} }}"""
RETURN = f"""mutation($input: ReturnTransferInput!) {{ returnTransfer(input: $input) {{ {_DECIDED} }} }}"""
TRANSFER = "query($id: ID!) { transfer(id: $id) { id state } }"


async def set_acceptance(who: WalletAccount, value: str) -> dict[str, Any]:
    return await who.client.mutate("updateWalletSettings", SETTINGS, {"input": {"transferAcceptance": value}})


async def accept(who: WalletAccount, transfer_id: str) -> dict[str, Any]:
    return await who.client.mutate("acceptTransfer", ACCEPT, {"input": {"transferId": transfer_id}})


async def give_back(who: WalletAccount, transfer_id: str, reason: str = "") -> dict[str, Any]:
    return await who.client.mutate("returnTransfer", RETURN, {"input": {"transferId": transfer_id, "reason": reason}})


async def state_of(who: WalletAccount, transfer_id: str) -> str | None:
    found = (await who.client.gql(TRANSFER, {"id": transfer_id}))["transfer"]
    return found["state"] if found else None
