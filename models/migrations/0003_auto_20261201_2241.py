from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_auto_20261201_2221')]

    initial = False

    operations = [
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
    ]
