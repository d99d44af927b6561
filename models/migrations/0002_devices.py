from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.devices import ChallengePurpose
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', 'wallet_guards')]

    initial = False

    operations = [
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
    ]
