from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_authz_generation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountPasswordPolicy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.OneToOneField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='password_policy', on_delete=OnDelete.CASCADE)),
                ('minimum_password_length', fields.IntField(default=6)),
                ('require_symbols', fields.BooleanField(default=False)),
                ('require_numbers', fields.BooleanField(default=False)),
                ('require_uppercase_characters', fields.BooleanField(default=False)),
                ('require_lowercase_characters', fields.BooleanField(default=False)),
                ('allow_users_to_change_password', fields.BooleanField(default=False)),
                ('max_password_age', fields.IntField(null=True)),
                ('password_reuse_prevention', fields.IntField(null=True)),
                ('hard_expiry', fields.BooleanField(default=False)),
            ],
            options={'table': 'account_password_policies', 'app': 'models', 'pk_attr': 'id', 'table_description': "An account's custom password policy (AWS's UpdateAccountPasswordPolicy settings)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PasswordHistory',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='password_history', on_delete=OnDelete.CASCADE)),
                ('password_hash', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'password_history', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A hash of a password a user has had, kept for reuse prevention.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='LoginProfile',
            name='password_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Session',
            name='password_change_required',
            field=fields.BooleanField(default=False),
        ),
    ]
