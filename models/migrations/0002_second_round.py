from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.chat import TicketStatus
from models.devices import ChallengePurpose
from models.people import Audience, ContactRequestState, PushPlatform, PushStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

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
        ops.AlterModelOptions(
            name='PaymentPin',
            options={'table': 'payment_pins', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A payment PIN as a keyed verifier (app.pin.verifier), with its attempt counters.'},
        ),
        ops.AddField(
            model_name='PaymentPin',
            name='key_id',
            field=fields.CharField(default='', max_length=16),
        ),
        ops.AddField(
            model_name='PaymentPin',
            name='recent_locks',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='PaymentPin',
            name='reset_required',
            field=fields.BooleanField(default=False),
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
        ops.AddField(
            model_name='Transfer',
            name='initiator_balance_after_minor',
            field=fields.BigIntField(null=True),
        ),
    ]
