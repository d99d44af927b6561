"""Chat journeys through the public API."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.flows import Account

MESSAGE_FIELDS = """id kind text recalled editedAt recalledAt editableUntil recallableUntil clientMessageId
  conversationId author { id displayName }
  transfer { transferId amount { amount currency } memo state }
  request { id amount { amount } memo state paidBy { user { id } transferId } }"""

START = """mutation($input: StartConversationInput!) { startConversation(input: $input) {
  __typename ... on ConversationSuccess { conversation { id kind title owner { id } members { user { id } } } }
  ... on Error { code message } } }"""

SEND = f"""mutation($input: SendMessageInput!) {{ sendMessage(input: $input) {{
  __typename ... on MessageSuccess {{ chatMessage {{ {MESSAGE_FIELDS} }} }}
  ... on Error {{ code message }} }} }}"""

EDIT = f"""mutation($input: EditMessageInput!) {{ editMessage(input: $input) {{
  __typename ... on MessageSuccess {{ chatMessage {{ {MESSAGE_FIELDS} }} }}
  ... on MessageLockedError {{ reason }} ... on Error {{ code message }} }} }}"""

RECALL = f"""mutation($input: RecallMessageInput!) {{ recallMessage(input: $input) {{
  __typename ... on MessageSuccess {{ chatMessage {{ {MESSAGE_FIELDS} }} }}
  ... on MessageLockedError {{ reason }} ... on Error {{ code message }} }} }}"""

MARK_READ = """mutation($input: MarkReadInput!) { markRead(input: $input) {
  __typename ... on ReadSuccess { lastReadMessageId conversation { unreadCount } }
  ... on Error { code message } } }"""

CONVERSATIONS = f"""query($first: Int, $after: String) {{ conversations(first: $first, after: $after) {{
  edges {{ cursor node {{ id kind title unreadCount lastMessage {{ {MESSAGE_FIELDS} }} }} }}
  pageInfo {{ hasNextPage endCursor }} }} }}"""

CONVERSATION = f"""query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {{
  conversation(id: $id) {{ id kind title unreadCount owner {{ id }}
    members {{ user {{ id displayName }} lastReadMessageId }}
    messages(first: $first, after: $after, last: $last, before: $before) {{
      edges {{ cursor node {{ {MESSAGE_FIELDS} }} }}
      pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }} }}"""


async def start(account: Account, *members: Account, title: str = "") -> dict[str, Any]:
    result = await account.client.mutate("startConversation", START, {"input": {
        "memberIds": [m.user_id for m in members], "title": title}})
    assert result["__typename"] == "ConversationSuccess", result
    return result["conversation"]  # type: ignore[no-any-return]


async def send(account: Account, conversation_id: str, text: str, cmid: str | None = None) -> dict[str, Any]:
    result = await account.client.mutate("sendMessage", SEND, {"input": {
        "conversationId": conversation_id, "text": text, "clientMessageId": cmid or uuid.uuid4().hex}})
    assert result["__typename"] == "MessageSuccess", result
    return result["chatMessage"]  # type: ignore[no-any-return]


async def conversation(account: Account, conversation_id: str, **page: Any) -> dict[str, Any] | None:
    data = await account.client.gql(CONVERSATION, {"id": conversation_id, **page})
    return data["conversation"]  # type: ignore[no-any-return]
