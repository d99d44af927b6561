"""People journeys through the public API: contacts, privacy, blocks."""

from __future__ import annotations

from typing import Any

from tests.support.flows import Account

_ERR = "... on Error { code message }"

SEND_CONTACT_REQUEST = f"""mutation($input: SendContactRequestInput!) {{ sendContactRequest(input: $input) {{
  __typename ... on ContactRequestSuccess {{ request {{ id state note sender {{ id }} recipient {{ id }} }} }}
  {_ERR} }} }}"""

RESPOND = f"""mutation($input: RespondContactRequestInput!) {{ respondContactRequest(input: $input) {{
  __typename ... on ContactRequestSuccess {{ request {{ id state }} }} {_ERR} }} }}"""

CONTACTS = """query($first: Int, $after: String) { contacts(first: $first, after: $after) {
  edges { node { name remark user { id displayName } } } pageInfo { hasNextPage endCursor } } }"""

CONTACT_REQUESTS = """{ contactRequests(first: 20) { edges { node { id note state sender { id } } } } }"""

SET_REMARK = f"""mutation($input: SetContactRemarkInput!) {{ setContactRemark(input: $input) {{
  __typename ... on ContactSuccess {{ contact {{ name remark }} }} {_ERR} }} }}"""

REMOVE_CONTACT = f"""mutation($input: UserRefInput!) {{ removeContact(input: $input) {{
  __typename ... on ContactRemoved {{ userId }} {_ERR} }} }}"""

UPDATE_PRIVACY = f"""mutation($input: UpdatePrivacyInput!) {{ updatePrivacy(input: $input) {{
  __typename ... on PrivacySuccess {{ privacy {{ messagesFrom paymentRequestsFrom findableByPhone }} }}
  {_ERR} }} }}"""

BLOCK = f"""mutation($input: UserRefInput!) {{ blockUser(input: $input) {{
  __typename ... on BlockSuccess {{ blocked user {{ id }} }} {_ERR} }} }}"""

UNBLOCK = f"""mutation($input: UserRefInput!) {{ unblockUser(input: $input) {{
  __typename ... on BlockSuccess {{ blocked user {{ id }} }} {_ERR} }} }}"""

BLOCKED = """{ blockedUsers(first: 20) { edges { node { user { id } } } } }"""

FIND = "query($phone: String!) { findUser(phone: $phone) { id displayName } }"


async def ask(sender: Account, *, to: Account | None = None, phone: str | None = None,
              note: str = "") -> dict[str, Any]:
    target = {"userId": to.user_id} if to is not None else {"phone": phone}
    return await sender.client.mutate("sendContactRequest", SEND_CONTACT_REQUEST,
                                      {"input": {**target, "note": note}})


async def respond(account: Account, request_id: str, accept: bool) -> dict[str, Any]:
    return await account.client.mutate("respondContactRequest", RESPOND,
                                       {"input": {"requestId": request_id, "accept": accept}})


async def befriend(a: Account, b: Account) -> None:
    asked = await ask(a, to=b)
    assert asked["__typename"] == "ContactRequestSuccess", asked
    answered = await respond(b, asked["request"]["id"], True)
    assert answered["request"]["state"] == "ACCEPTED", answered


async def privacy(account: Account, **settings: str) -> dict[str, Any]:
    result = await account.client.mutate("updatePrivacy", UPDATE_PRIVACY, {"input": settings})
    assert result["__typename"] == "PrivacySuccess", result
    return result["privacy"]  # type: ignore[no-any-return]


async def block(account: Account, other: Account) -> dict[str, Any]:
    return await account.client.mutate("blockUser", BLOCK, {"input": {"userId": other.user_id}})


async def unblock(account: Account, other: Account) -> dict[str, Any]:
    return await account.client.mutate("unblockUser", UNBLOCK, {"input": {"userId": other.user_id}})


async def find(account: Account, phone: str) -> dict[str, Any] | None:
    return (await account.client.gql(FIND, {"phone": phone}))["findUser"]  # type: ignore[no-any-return]


async def contact_names(account: Account) -> list[tuple[str, str]]:
    data = await account.client.gql(CONTACTS, {"first": 50})
    return [(e["node"]["user"]["id"], e["node"]["name"]) for e in data["contacts"]["edges"]]
