from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gateway.models.security_keys import CeremonyKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_mfa_devices_and_roles')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SecurityKey',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='security_keys', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='security_keys', on_delete=OnDelete.CASCADE)),
                ('root', fields.ForeignKeyField('models.RootUser', source_field='root_id', null=True, db_constraint=True, to_field='id', related_name='security_keys', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=128)),
                ('serial_number', fields.CharField(unique=True, max_length=256)),
                ('credential_id', fields.CharField(unique=True, max_length=1400)),
                ('public_key', fields.BinaryField()),
                ('sign_count', fields.BigIntField(default=0)),
                ('aaguid', fields.CharField(default='', max_length=36)),
                ('attestation_format', fields.CharField(default='none', max_length=32)),
                ('transports', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('multi_device', fields.BooleanField(default=False)),
                ('backed_up', fields.BooleanField(default=False)),
                ('enabled_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'security_keys', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A WebAuthn credential registered as an MFA device of one IAM user or root user'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebAuthnChallenge',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('kind', fields.CharEnumField(description='REGISTRATION: registration\nAUTHENTICATION: authentication', enum_type=CeremonyKind, max_length=16)),
                ('challenge', fields.CharField(unique=True, max_length=128)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='webauthn_challenges', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='webauthn_challenges', on_delete=OnDelete.CASCADE)),
                ('root', fields.ForeignKeyField('models.RootUser', source_field='root_id', null=True, db_constraint=True, to_field='id', related_name='webauthn_challenges', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(default='', max_length=128)),
                ('actor_arn', fields.CharField(default='', max_length=2048)),
                ('actor_session', fields.CharField(default='', max_length=128)),
                ('mfa_challenge_hash', fields.CharField(null=True, db_index=True, max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webauthn_challenges', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The random challenge of one WebAuthn ceremony, single-use (`used_at`, set atomically'},
            bases=['Model'],
        ),
    ]
