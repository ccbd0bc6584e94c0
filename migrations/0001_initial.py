from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=12)),
                ('alias', fields.CharField(null=True, unique=True, max_length=63)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'accounts', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A tenant: a 12-digit id, an optional alias used at sign-in, and one root user.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('occurred_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('account_id', fields.CharField(db_index=True, max_length=12)),
                ('principal_arn', fields.CharField(max_length=1024)),
                ('action', fields.CharField(max_length=128)),
                ('resource', fields.CharField(max_length=2048)),
                ('source_ip', fields.CharField(default='', max_length=45)),
                ('outcome', fields.CharField(max_length=8)),
                ('error_code', fields.CharField(null=True, max_length=64)),
                ('request_id', fields.CharField(max_length=64)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'audit_events', 'app': 'models', 'indexes': [Index(fields=['account_id', 'occurred_at'])], 'pk_attr': 'id', 'table_description': 'What happened, when, by whom, from where, and how it ended.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Group',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=21)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='groups', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=128)),
                ('name_lower', fields.CharField(max_length=128)),
                ('path', fields.CharField(default='/', max_length=512)),
                ('arn', fields.CharField(unique=True, max_length=1024)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'groups', 'app': 'models', 'unique_together': (('account', 'name_lower'),), 'pk_attr': 'id', 'table_description': 'A set of users: the policies of a group apply to each of its members.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InlinePolicy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('entity_kind', fields.CharField(max_length=8)),
                ('entity_id', fields.CharField(db_index=True, max_length=21)),
                ('name', fields.CharField(max_length=128)),
                ('document', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'inline_policies', 'app': 'models', 'unique_together': (('entity_kind', 'entity_id', 'name'),), 'pk_attr': 'id', 'table_description': 'A policy document embedded in one identity, named uniquely within it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ManagedPolicy',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=21)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='policies', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=128)),
                ('name_lower', fields.CharField(max_length=128)),
                ('path', fields.CharField(default='/', max_length=512)),
                ('arn', fields.CharField(unique=True, max_length=1024)),
                ('description', fields.CharField(default='', max_length=1000)),
                ('default_version_id', fields.CharField(default='v1', max_length=16)),
                ('attachment_count', fields.IntField(default=0)),
                ('boundary_usage_count', fields.IntField(default=0)),
                ('is_attachable', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('tags', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('next_version_number', fields.IntField(default=1)),
            ],
            options={'table': 'managed_policies', 'app': 'models', 'unique_together': (('account', 'name_lower'),), 'pk_attr': 'id', 'table_description': 'A standalone policy with its own ARN, attachable to users, groups and roles.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PolicyAttachment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('policy', fields.ForeignKeyField('models.ManagedPolicy', source_field='policy_id', db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.CASCADE)),
                ('entity_kind', fields.CharField(max_length=8)),
                ('entity_id', fields.CharField(db_index=True, max_length=21)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'policy_attachments', 'app': 'models', 'unique_together': (('policy', 'entity_kind', 'entity_id'),), 'pk_attr': 'id', 'table_description': 'A managed policy attached to one identity (user, group or role, by unique id).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PolicyVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('policy', fields.ForeignKeyField('models.ManagedPolicy', source_field='policy_id', db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('version_id', fields.CharField(max_length=16)),
                ('document', fields.TextField(unique=False)),
                ('is_default', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'policy_versions', 'app': 'models', 'unique_together': (('policy', 'version_id'),), 'pk_attr': 'id', 'table_description': "One version (`v1`, `v2`, …) of a managed policy's document."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RootUser',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.OneToOneField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='root', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('password_hash', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('password_last_used', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'root_users', 'app': 'models', 'pk_attr': 'id', 'table_description': "The account's root user, never limited by policies."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=21)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('name_lower', fields.CharField(max_length=64)),
                ('path', fields.CharField(default='/', max_length=512)),
                ('arn', fields.CharField(unique=True, max_length=1024)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('password_last_used', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('tags', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('permissions_boundary', fields.ForeignKeyField('models.ManagedPolicy', source_field='permissions_boundary_id', null=True, db_constraint=True, to_field='id', related_name='bounded_users', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'users', 'app': 'models', 'unique_together': (('account', 'name_lower'),), 'pk_attr': 'id', 'table_description': 'An IAM user: a name unique in its account (ignoring case), a path, an `AIDA…` id.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GroupMembership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'group_memberships', 'app': 'models', 'unique_together': (('user', 'group'),), 'pk_attr': 'id', 'table_description': "One user's membership of one group."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginProfile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='login_profile', on_delete=OnDelete.CASCADE)),
                ('password_hash', fields.CharField(max_length=255)),
                ('password_reset_required', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'login_profiles', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A user\'s console password (AWS\'s "login profile").'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('token_hash', fields.CharField(unique=True, max_length=128)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('principal_kind', fields.CharField(max_length=8)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('root', fields.ForeignKeyField('models.RootUser', source_field='root_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('source_ip', fields.CharField(default='', max_length=45)),
                ('mfa_authenticated', fields.BooleanField(default=False)),
                ('mfa_authenticated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sessions', 'app': 'models', 'pk_attr': 'id', 'table_description': "A signed-in principal's session."},
            bases=['Model'],
        ),
    ]
