from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_account_password_policy')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccessKey',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=21)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='access_keys', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='access_keys', on_delete=OnDelete.CASCADE)),
                ('root', fields.ForeignKeyField('models.RootUser', source_field='root_id', null=True, db_constraint=True, to_field='id', related_name='access_keys', on_delete=OnDelete.CASCADE)),
                ('secret_hash', fields.CharField(max_length=64)),
                ('status', fields.CharField(default='Active', max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_used_service', fields.CharField(null=True, max_length=32)),
            ],
            options={'table': 'access_keys', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An `AKIA…` access key of an IAM user, or of the root user (`root` set, `user` null).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Session',
            name='access_key_id',
            field=fields.CharField(null=True, unique=True, max_length=21),
        ),
        ops.AddField(
            model_name='Session',
            name='secret_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Session',
            name='via_access_key',
            field=fields.CharField(null=True, max_length=21),
        ),
    ]
