from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.events import Channel, DeliveryStatus
from models.users import UserRole
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Event',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.BigIntField()),
                ('kind', fields.CharField(max_length=48)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'events', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id']), Index(fields=['published_at', 'id'])], 'pk_attr': 'id', 'table_description': 'One entry in the event stream of a user, whose id is the cursor.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboundMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharEnumField(description='SMS: sms\nEMAIL: email', enum_type=Channel, max_length=8)),
                ('recipient', fields.CharField(max_length=254)),
                ('subject', fields.CharField(default='', max_length=200)),
                ('body_sealed', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: pending\nSENT: sent\nFAILED: failed', enum_type=DeliveryStatus, max_length=8)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbound_messages', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'An SMS or mail to deliver. The body is encrypted at rest and erased once delivered.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('phone', fields.CharField(unique=True, description='E.164', max_length=16)),
                ('display_name', fields.CharField(max_length=64)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('email_verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('password_hash', fields.CharField(max_length=255)),
                ('role', fields.CharEnumField(default=UserRole.USER, description='USER: user\nSUPPORT: support', enum_type=UserRole, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'users', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Identity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='identity', on_delete=OnDelete.CASCADE)),
                ('real_name', fields.CharField(max_length=100)),
                ('document_type', fields.CharField(max_length=32)),
                ('document_hash', fields.CharField(unique=True, max_length=64)),
                ('document_masked', fields.CharField(max_length=32)),
                ('date_of_birth', fields.DateField()),
                ('verified_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'identities', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A verified real-world identity. The document number is kept only keyed-hashed and masked.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('device_name', fields.CharField(default='', max_length=100)),
                ('client_address', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sessions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A login. Only the SHA-256 of the bearer token is kept.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VerificationCode',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('destination', fields.CharField(max_length=254)),
                ('purpose', fields.CharField(max_length=32)),
                ('code_hash', fields.CharField(max_length=64)),
                ('attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('consumed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'verification_codes', 'app': 'models', 'indexes': [Index(fields=['destination', 'purpose'])], 'pk_attr': 'id', 'table_description': 'A one-time code bound to (destination, purpose). Only its keyed hash is kept.'},
            bases=['Model'],
        ),
    ]
