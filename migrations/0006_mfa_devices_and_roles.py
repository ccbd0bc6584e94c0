from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_sign_in_throttling')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MfaChallenge',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('token_hash', fields.CharField(unique=True, max_length=128)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='mfa_challenges', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='mfa_challenges', on_delete=OnDelete.CASCADE)),
                ('root', fields.ForeignKeyField('models.RootUser', source_field='root_id', null=True, db_constraint=True, to_field='id', related_name='mfa_challenges', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('source_ip', fields.CharField(default='', max_length=45)),
                ('password_change_required', fields.BooleanField(default=False)),
            ],
            options={'table': 'mfa_challenges', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A password sign-in waiting for its second factor (`signIn` answered `MfaRequired`).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MfaDevice',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='mfa_devices', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=226)),
                ('name_lower', fields.CharField(max_length=226)),
                ('path', fields.CharField(default='/', max_length=512)),
                ('serial_number', fields.CharField(unique=True, max_length=1024)),
                ('seed_ciphertext', fields.TextField(unique=False)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='mfa_devices', on_delete=OnDelete.CASCADE)),
                ('root', fields.ForeignKeyField('models.RootUser', source_field='root_id', null=True, db_constraint=True, to_field='id', related_name='mfa_devices', on_delete=OnDelete.CASCADE)),
                ('enabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_used_step', fields.BigIntField(null=True)),
                ('drift_steps', fields.IntField(default=0)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('tags', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'mfa_devices', 'app': 'models', 'unique_together': (('account', 'name_lower'),), 'pk_attr': 'id', 'table_description': 'A virtual TOTP device (RFC 6238): `arn:aws:iam::ACCOUNT:mfa/PATH/NAME`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecoveryCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='recovery_codes', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='recovery_codes', on_delete=OnDelete.CASCADE)),
                ('root', fields.ForeignKeyField('models.RootUser', source_field='root_id', null=True, db_constraint=True, to_field='id', related_name='recovery_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'recovery_codes', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One single-use recovery code of a user or root user, stored only as a hash.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Role',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=21)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='roles', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('name_lower', fields.CharField(max_length=64)),
                ('path', fields.CharField(default='/', max_length=512)),
                ('arn', fields.CharField(unique=True, max_length=1024)),
                ('description', fields.CharField(default='', max_length=1000)),
                ('assume_role_policy', fields.TextField(unique=False)),
                ('max_session_duration', fields.IntField(default=3600)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('tags', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('permissions_boundary', fields.ForeignKeyField('models.ManagedPolicy', source_field='permissions_boundary_id', null=True, db_constraint=True, to_field='id', related_name='bounded_roles', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'roles', 'app': 'models', 'unique_together': (('account', 'name_lower'),), 'pk_attr': 'id', 'table_description': 'A role: a name unique in its account (ignoring case), a path, an `AROA…` id.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Session',
            name='assumed_by_arn',
            field=fields.CharField(null=True, max_length=1024),
        ),
        ops.AddField(
            model_name='Session',
            name='chained',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Session',
            name='role',
            field=fields.ForeignKeyField('models.Role', source_field='role_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Session',
            name='role_session_name',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Session',
            name='session_policies',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Session',
            name='source_identity',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Session',
            name='switched_from_id',
            field=fields.CharField(null=True, max_length=32),
        ),
    ]
