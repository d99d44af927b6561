from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.acceptance import PendingOutcome, TransferAcceptance
from models.chat import MessageKind, TicketStatus
from models.devices import ChallengePurpose
from models.people import Audience, ContactRequestState, PushPlatform, PushStatus
from models.red_packets import RedPacketSplit, RedPacketState
from models.wallet import AccountKind, JournalKind, TransferKind, TransferState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', 'wallet_guards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Block',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('blocker_id', fields.BigIntField()),
                ('blocked_id', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'blocks', 'app': 'models', 'unique_together': (('blocker_id', 'blocked_id'),), 'pk_attr': 'id', 'table_description': '`blocker` has blocked `blocked`: the blocked user cannot reach the blocker.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CardRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='card_requests', on_delete=OnDelete.CASCADE)),
                ('idempotency_key', fields.CharField(max_length=255)),
                ('action', fields.CharField(max_length=12)),
                ('request_fingerprint', fields.CharField(max_length=64)),
                ('card', fields.ForeignKeyField('models.Card', source_field='card_id', db_constraint=True, to_field='id', related_name='requests', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card_requests', 'app': 'models', 'unique_together': (('user', 'idempotency_key'),), 'pk_attr': 'id', 'table_description': 'One card mutation a user asked for under an idempotency key.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Contact',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner_id', fields.BigIntField()),
                ('other_id', fields.BigIntField()),
                ('remark', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'contacts', 'app': 'models', 'unique_together': (('owner_id', 'other_id'),), 'pk_attr': 'id', 'table_description': 'One side of a contact pair: `owner` has `other` in their list, under an optional remark.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ContactRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sender_id', fields.BigIntField()),
                ('recipient_id', fields.BigIntField()),
                ('note', fields.CharField(default='', max_length=200)),
                ('state', fields.CharEnumField(default=ContactRequestState.PENDING, description='PENDING: pending\nACCEPTED: accepted\nDECLINED: declined', enum_type=ContactRequestState, max_length=10)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'contact_requests', 'app': 'models', 'indexes': [Index(fields=['recipient_id', 'state']), Index(fields=['sender_id', 'recipient_id'])], 'pk_attr': 'id', 'table_description': 'One person asks another to become contacts.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeviceChallenge',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.BigIntField()),
                ('purpose', fields.CharEnumField(description='ENROL: enrol\nPAY: pay', enum_type=ChallengePurpose, max_length=8)),
                ('challenge', fields.CharField(unique=True, description='base64url of 32 bytes', max_length=64)),
                ('payment_digest', fields.CharField(default='', description='what a PAY challenge approves', max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'device_challenges', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A single-use WebAuthn challenge: for enrolment, or bound to exactly one payment.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationSettings',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.BigIntField(unique=True)),
                ('messages', fields.BooleanField(default=True)),
                ('payments', fields.BooleanField(default=True)),
                ('show_preview', fields.BooleanField(default=False)),
                ('show_amounts', fields.BooleanField(default=False)),
            ],
            options={'table': 'notification_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': "What a user's pushes may carry (no row: the defaults)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutsideCall',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('transfer', fields.OneToOneField('models.Transfer', source_field='transfer_id', db_constraint=True, to_field='id', related_name='outside_call', on_delete=OnDelete.RESTRICT)),
                ('reference', fields.CharField(unique=True, max_length=64)),
                ('next_check_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checks', fields.IntField(default=0)),
                ('resolved_by', fields.CharField(default='', max_length=12)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'outside_calls', 'app': 'models', 'indexes': [Index(fields=['next_check_at'])], 'pk_attr': 'id', 'table_description': 'A charge or payout sent (or about to be sent) to the card network under `reference`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentDevice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='payment_devices', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('credential_id', fields.CharField(unique=True, description='base64url', max_length=1400)),
                ('public_key', fields.TextField(description='COSE public key, base64url', unique=False)),
                ('sign_count', fields.BigIntField(default=0)),
                ('transports', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('enrolled_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('suspended_at', fields.DatetimeField(null=True, description='set when a cloned key is detected', auto_now=False, auto_now_add=False)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_devices', 'app': 'models', 'indexes': [Index(fields=['user_id', 'removed_at'])], 'pk_attr': 'id', 'table_description': 'An enrolled WebAuthn credential. Only its public key is kept: the private key never leaves the phone.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentApproval',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.BigIntField()),
                ('idempotency_key', fields.CharField(max_length=255)),
                ('device', fields.ForeignKeyField('models.PaymentDevice', source_field='device_id', db_constraint=True, to_field='id', related_name='approvals', on_delete=OnDelete.CASCADE)),
                ('approved_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_approvals', 'app': 'models', 'indexes': [Index(fields=['user_id', 'idempotency_key'])], 'pk_attr': 'id', 'table_description': "Which device approved which payment (by the payer's idempotency key), for records and support."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PendingTransfer',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('transfer_id', fields.BigIntField(unique=True)),
                ('payer_id', fields.BigIntField()),
                ('payee_id', fields.BigIntField()),
                ('amount_minor', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharEnumField(null=True, description='ACCEPTED: ACCEPTED\nRETURNED: RETURNED\nEXPIRED: EXPIRED', enum_type=PendingOutcome, max_length=8)),
                ('reason', fields.CharField(default='', max_length=100)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reminded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'pending_transfers', 'app': 'models', 'indexes': [Index(fields=['outcome', 'expires_at']), Index(fields=['payee_id'])], 'pk_attr': 'id', 'table_description': 'A transfer held in the pending-transfers account until the recipient acts or it expires.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PrivacySettings',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.BigIntField(unique=True)),
                ('messages_from', fields.CharEnumField(default=Audience.EVERYONE, description='EVERYONE: everyone\nCONTACTS: contacts\nNOBODY: nobody', enum_type=Audience, max_length=10)),
                ('payment_requests_from', fields.CharEnumField(default=Audience.EVERYONE, description='EVERYONE: everyone\nCONTACTS: contacts\nNOBODY: nobody', enum_type=Audience, max_length=10)),
                ('findable_by_phone', fields.CharEnumField(default=Audience.EVERYONE, description='EVERYONE: everyone\nCONTACTS: contacts\nNOBODY: nobody', enum_type=Audience, max_length=10)),
            ],
            options={'table': 'privacy_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': "A user's privacy choices (no row: the defaults, everyone)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event_id', fields.BigIntField()),
                ('device_id', fields.BigIntField()),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=PushStatus.PENDING, description='PENDING: pending\nSENT: sent\nFAILED: failed', enum_type=PushStatus, max_length=8)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_deliveries', 'app': 'models', 'unique_together': (('event_id', 'device_id'),), 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One push of one event to one device: the push outbox, retried with backoff.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushDevice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.BigIntField()),
                ('platform', fields.CharEnumField(description='APNS: apns\nFCM: fcm\nWEB: web', enum_type=PushPlatform, max_length=8)),
                ('token', fields.CharField(max_length=512)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('retired_reason', fields.CharField(default='', max_length=100)),
            ],
            options={'table': 'push_devices', 'app': 'models', 'unique_together': (('platform', 'token'),), 'indexes': [Index(fields=['user_id', 'retired_at'])], 'pk_attr': 'id', 'table_description': 'A device that receives pushes while the app is closed. The token is what the provider gave it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushFeed',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('last_event_id', fields.BigIntField(default=0)),
            ],
            options={'table': 'push_feed', 'app': 'models', 'pk_attr': 'id', 'table_description': "The push feeder's place in the events table (one row)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RedPacket',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation_id', fields.BigIntField()),
                ('sender', fields.ForeignKeyField('models.User', source_field='sender_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('transfer_id', fields.BigIntField(unique=True)),
                ('account_id', fields.BigIntField(unique=True)),
                ('message_id', fields.BigIntField(null=True)),
                ('total_minor', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('share_count', fields.IntField()),
                ('split', fields.CharEnumField(description='RANDOM: RANDOM\nEQUAL: EQUAL', enum_type=RedPacketSplit, max_length=6)),
                ('greeting', fields.CharField(default='', max_length=100)),
                ('eligible_user_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('commitment', fields.CharField(max_length=64)),
                ('salt', fields.CharField(max_length=64)),
                ('state', fields.CharEnumField(default=RedPacketState.OPEN, description='OPEN: OPEN\nEMPTY: EMPTY\nEXPIRED: EXPIRED', enum_type=RedPacketState, max_length=7)),
                ('remaining_count', fields.IntField()),
                ('remaining_minor', fields.BigIntField()),
                ('returned_minor', fields.BigIntField(default=0)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'red_packets', 'app': 'models', 'indexes': [Index(fields=['state', 'expires_at']), Index(fields=['conversation_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A packet: its shares are drawn once and committed (sha256 over salt and amounts).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RedPacketShare',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('packet', fields.ForeignKeyField('models.RedPacket', source_field='packet_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.RESTRICT)),
                ('seq', fields.IntField()),
                ('amount_minor', fields.BigIntField()),
                ('claimant_id', fields.BigIntField(null=True)),
                ('transfer_id', fields.BigIntField(null=True)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'red_packet_shares', 'app': 'models', 'unique_together': (('packet', 'seq'), ('packet', 'claimant_id')), 'pk_attr': 'id', 'table_description': 'One pre-drawn share, claimed by at most one member (and each member claims at most one).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RequestShare',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('request', fields.ForeignKeyField('models.MoneyRequest', source_field='request_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.BigIntField()),
                ('amount_minor', fields.BigIntField()),
            ],
            options={'table': 'request_shares', 'app': 'models', 'unique_together': (('request', 'user_id'),), 'pk_attr': 'id', 'table_description': "One participant's share of a split bill, paid once with payRequest."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TransferRefund',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('refund_transfer_id', fields.BigIntField(unique=True)),
                ('original_transfer_id', fields.BigIntField(db_index=True)),
                ('amount_minor', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'transfer_refunds', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Links a REFUND transfer to its original (the refunds of one original never exceed it).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WalletPreference',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='wallet_preference', on_delete=OnDelete.CASCADE)),
                ('transfer_acceptance', fields.CharEnumField(default=TransferAcceptance.AUTOMATIC, description='AUTOMATIC: AUTOMATIC\nMANUAL: MANUAL', enum_type=TransferAcceptance, max_length=10)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'wallet_preferences', 'app': 'models', 'pk_attr': 'id', 'table_description': "A user's wallet settings (absent: the defaults)."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Card',
            name='fingerprint_key_id',
            field=fields.CharField(default='', max_length=16),
        ),
        ops.AddField(
            model_name='Identity',
            name='document_key_id',
            field=fields.CharField(default='', max_length=16),
        ),
        ops.AlterField(
            model_name='Journal',
            name='kind',
            field=fields.CharEnumField(description='TRANSFER: TRANSFER\nTOP_UP: TOP_UP\nWITHDRAWAL_HOLD: WITHDRAWAL_HOLD\nWITHDRAWAL_SETTLE: WITHDRAWAL_SETTLE\nWITHDRAWAL_VOID: WITHDRAWAL_VOID\nRED_PACKET: RED_PACKET\nPACKET_SHARE: PACKET_SHARE\nPACKET_RETURN: PACKET_RETURN\nTRANSFER_HOLD: TRANSFER_HOLD\nTRANSFER_ACCEPT: TRANSFER_ACCEPT\nTRANSFER_RETURN: TRANSFER_RETURN\nREFUND: REFUND', enum_type=JournalKind, max_length=20),
        ),
        ops.AlterField(
            model_name='LedgerAccount',
            name='kind',
            field=fields.CharEnumField(description='USER_WALLET: USER_WALLET\nCARD_CLEARING: CARD_CLEARING\nWITHDRAWAL_HOLDS: WITHDRAWAL_HOLDS\nRED_PACKET: RED_PACKET\nPENDING_TRANSFERS: PENDING_TRANSFERS', enum_type=AccountKind, max_length=20),
        ),
        ops.AlterField(
            model_name='Message',
            name='kind',
            field=fields.CharEnumField(description='TEXT: text\nTRANSFER: transfer\nREQUEST: request\nSYSTEM: system\nRED_PACKET: packet', enum_type=MessageKind, max_length=8),
        ),
        ops.AlterField(
            model_name='Message',
            name='transfer_state',
            field=fields.CharField(null=True, max_length=20),
        ),
        ops.AddField(
            model_name='MoneyRequest',
            name='idempotency_key',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='MoneyRequest',
            name='request_fingerprint',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='MoneyRequest',
            name='split',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddConstraint(
            model_name='MoneyRequest',
            constraint=UniqueConstraint(fields=('requester', 'idempotency_key'), name=None),
        ),
        ops.AlterModelOptions(
            name='PaymentPin',
            options={'table': 'payment_pins', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A payment PIN as a keyed verifier (app.pin.verifier), with its attempt counters.'},
        ),
        ops.AddField(
            model_name='PaymentPin',
            name='key_id',
            field=fields.CharField(default='', db_default='', max_length=16),
        ),
        ops.AddField(
            model_name='PaymentPin',
            name='recent_locks',
            field=fields.JSONField(null=True, default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='PaymentPin',
            name='reset_required',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AlterField(
            model_name='SupportTicket',
            name='status',
            field=fields.CharEnumField(default=TicketStatus.OPEN, description='OPEN: open\nWAITING_FOR_USER: waiting_for_user\nWAITING_FOR_AGENT: waiting_for_agent\nRESOLVED: resolved', enum_type=TicketStatus, max_length=20),
        ),
        ops.AddField(
            model_name='SupportTicket',
            name='assignee_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='SupportTicket',
            name='resolution',
            field=fields.CharField(default='', max_length=2000),
        ),
        ops.AddField(
            model_name='SupportTicket',
            name='resolved_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='SupportTicket',
            name='status_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='Transfer',
            name='kind',
            field=fields.CharEnumField(description='P2P: P2P\nTOP_UP: TOP_UP\nWITHDRAWAL: WITHDRAWAL\nRED_PACKET: RED_PACKET\nPACKET_SHARE: PACKET_SHARE\nPACKET_RETURN: PACKET_RETURN\nREFUND: REFUND', enum_type=TransferKind, max_length=16),
        ),
        ops.AlterField(
            model_name='Transfer',
            name='state',
            field=fields.CharEnumField(description='PENDING: PENDING\nCOMPLETED: COMPLETED\nFAILED: FAILED\nAWAITING_ACCEPTANCE: AWAITING_ACCEPTANCE\nRETURNED: RETURNED', enum_type=TransferState, max_length=20),
        ),
        ops.AddField(
            model_name='Transfer',
            name='initiator_balance_after_minor',
            field=fields.BigIntField(null=True),
        ),
    ]
