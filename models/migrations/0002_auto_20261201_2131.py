from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', 'wallet_guards')]

    initial = False

    operations = [
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
    ]
