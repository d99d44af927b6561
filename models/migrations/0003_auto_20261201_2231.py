from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.acceptance import PendingOutcome, TransferAcceptance
from models.chat import MessageKind
from models.red_packets import RedPacketSplit, RedPacketState
from models.wallet import AccountKind, JournalKind, TransferKind, TransferState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0002_auto_20261201_2221')]

    initial = False

    operations = [
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
        ops.AddConstraint(
            model_name='MoneyRequest',
            constraint=UniqueConstraint(fields=('requester', 'idempotency_key'), name=None),
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
    ]
