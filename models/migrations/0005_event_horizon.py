from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', 'merchant_guards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EventHorizon',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pruned_through', fields.BigIntField(default=0)),
            ],
            options={'table': 'event_horizon', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One row: the newest event id that pruning has deleted. A cursor below it may have missed events'},
            bases=['Model'],
        ),
    ]
