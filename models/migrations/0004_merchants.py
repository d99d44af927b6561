from tortoise import migrations
from tortoise.migrations import operations as ops
from models.merchants import OrderState
from models.wallet import AccountKind, JournalKind, TransferKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_merchant_notifications'), ('models', '0003_collection_codes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Merchant',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='merchants', on_delete=OnDelete.RESTRICT)),
                ('account', fields.OneToOneField('models.LedgerAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='merchant', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'merchants', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A shop: a name, the user who owns it (and whose cards it settles to), and its wallet account.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MerchantKey',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('merchant', fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_constraint=True, to_field='id', related_name='keys', on_delete=OnDelete.CASCADE)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('prefix', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'merchant_keys', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An API key of a merchant, stored as the SHA-256 of the key only. Revoked keys stay, marked.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MerchantOrder',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('merchant', fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('merchant_order_id', fields.CharField(max_length=64)),
                ('request_fingerprint', fields.CharField(max_length=64)),
                ('amount_minor', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('description', fields.CharField(default='', max_length=100)),
                ('notify_url', fields.CharField(default='', max_length=500)),
                ('state', fields.CharEnumField(default=OrderState.PENDING, description='PENDING: PENDING\nPAID: PAID\nEXPIRED: EXPIRED\nREFUNDED: REFUNDED', enum_type=OrderState, max_length=10)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('payer_id', fields.BigIntField(null=True)),
                ('payment_transfer_id', fields.BigIntField(null=True, unique=True)),
                ('refunded_minor', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'merchant_orders', 'app': 'models', 'unique_together': (('merchant', 'merchant_order_id'),), 'indexes': [Index(fields=['state', 'expires_at'])], 'pk_attr': 'id', 'table_description': 'An order a merchant created, paid at most once by one user, refunded in parts up to its amount.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrderRefund',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.MerchantOrder', source_field='order_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT)),
                ('merchant_id', fields.BigIntField()),
                ('idempotency_key', fields.CharField(max_length=255)),
                ('request_fingerprint', fields.CharField(max_length=64)),
                ('transfer_id', fields.BigIntField(unique=True)),
                ('amount_minor', fields.BigIntField()),
                ('reason', fields.CharField(default='', max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'merchant_order_refunds', 'app': 'models', 'unique_together': (('merchant_id', 'idempotency_key'),), 'pk_attr': 'id', 'table_description': 'One refund of an order: a transfer of its own, unique per (merchant, idempotency key).'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Journal',
            name='kind',
            field=fields.CharEnumField(description='TRANSFER: TRANSFER\nTOP_UP: TOP_UP\nWITHDRAWAL_HOLD: WITHDRAWAL_HOLD\nWITHDRAWAL_SETTLE: WITHDRAWAL_SETTLE\nWITHDRAWAL_VOID: WITHDRAWAL_VOID\nRED_PACKET: RED_PACKET\nPACKET_SHARE: PACKET_SHARE\nPACKET_RETURN: PACKET_RETURN\nTRANSFER_HOLD: TRANSFER_HOLD\nTRANSFER_ACCEPT: TRANSFER_ACCEPT\nTRANSFER_RETURN: TRANSFER_RETURN\nREFUND: REFUND\nMERCHANT_PAYMENT: MERCHANT_PAYMENT\nMERCHANT_REFUND: MERCHANT_REFUND', enum_type=JournalKind, max_length=20),
        ),
        ops.AlterField(
            model_name='LedgerAccount',
            name='kind',
            field=fields.CharEnumField(description='USER_WALLET: USER_WALLET\nCARD_CLEARING: CARD_CLEARING\nWITHDRAWAL_HOLDS: WITHDRAWAL_HOLDS\nRED_PACKET: RED_PACKET\nPENDING_TRANSFERS: PENDING_TRANSFERS\nMERCHANT_WALLET: MERCHANT_WALLET', enum_type=AccountKind, max_length=20),
        ),
        ops.AlterField(
            model_name='Transfer',
            name='kind',
            field=fields.CharEnumField(description='P2P: P2P\nTOP_UP: TOP_UP\nWITHDRAWAL: WITHDRAWAL\nRED_PACKET: RED_PACKET\nPACKET_SHARE: PACKET_SHARE\nPACKET_RETURN: PACKET_RETURN\nREFUND: REFUND\nORDER_PAYMENT: ORDER_PAYMENT\nMERCHANT_PAYMENT: MERCHANT_PAYMENT\nORDER_REFUND: ORDER_REFUND\nMERCHANT_PAYOUT: MERCHANT_PAYOUT', enum_type=TransferKind, max_length=16),
        ),
    ]
