"""The first journey: register by SMS code, see yourself, log in again."""

from __future__ import annotations

from tests.support import flows
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink


async def test_register_and_me(client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink, name="Alice")
    me = (await client.gql("{ me { id phone displayName walletRequirements { name } } }"))["me"]
    assert me == {"id": account.user_id, "phone": account.phone, "displayName": "Alice",
                  "walletRequirements": [{"name": "IDENTITY"}, {"name": "PAYMENT_PIN"}]}
