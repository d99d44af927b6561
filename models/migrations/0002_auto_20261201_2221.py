from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', 'wallet_guards')]

    initial = False

    operations = [
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
        ops.AddField(
            model_name='Transfer',
            name='initiator_balance_after_minor',
            field=fields.BigIntField(null=True),
        ),
    ]
