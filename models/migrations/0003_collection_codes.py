from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', 'sqlite_rebuild_repair')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CollectionCode',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner_id', fields.BigIntField(description='the user who issued the code')),
                ('merchant_id', fields.BigIntField(null=True, description='set for a code of a merchant')),
                ('amount_minor', fields.BigIntField(null=True, description='NULL: the payer chooses the amount')),
                ('currency', fields.CharField(max_length=3)),
                ('memo', fields.CharField(default='', max_length=64)),
                ('static_key', fields.CharField(null=True, unique=True, description='user:ID or merchant:ID while this is the live static code', max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'collection_codes', 'app': 'models', 'indexes': [Index(fields=['owner_id', 'revoked_at'])], 'pk_attr': 'id', 'table_description': 'A code that pays its owner, or with merchant_id the merchant, until it is revoked.'},
            bases=['Model'],
        ),
    ]
