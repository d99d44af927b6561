from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', 'wallet_guards')]

    initial = False

    operations = [
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
