from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', 'sqlite_rebuild_repair')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MerchantNotification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('merchant_id', fields.BigIntField()),
                ('order_id', fields.BigIntField()),
                ('sequence', fields.IntField()),
                ('previous_id', fields.BigIntField(null=True)),
                ('event_id', fields.CharField(unique=True, max_length=40)),
                ('event', fields.CharField(max_length=48)),
                ('url', fields.CharField(max_length=2048)),
                ('body', fields.TextField(unique=False)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=300)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'merchant_notifications', 'app': 'models', 'unique_together': (('order_id', 'sequence'),), 'indexes': [Index(fields=['delivered_at', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One order event to POST to a merchant, kept until its receiver answers 2xx, never dropped.'},
            bases=['Model'],
        ),
    ]
