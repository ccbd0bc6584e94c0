from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_access_key_secrets')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AnalysisJob',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=36)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='analysis_jobs', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('subject_arn', fields.CharField(max_length=1024)),
                ('requested_by', fields.CharField(max_length=1024)),
                ('parameters', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('result', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'analysis_jobs', 'app': 'models', 'indexes': [Index(fields=['account_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A GenerateServiceLastAccessedDetails or StartPolicyGeneration job and its result.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CredentialReport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.OneToOneField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='credential_report', on_delete=OnDelete.CASCADE)),
                ('generated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('content', fields.TextField(unique=False)),
            ],
            options={'table': 'credential_reports', 'app': 'models', 'pk_attr': 'id', 'table_description': "An account's most recent credential report (AWS keeps one per account)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Finding',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=36)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='findings', on_delete=OnDelete.CASCADE)),
                ('finding_type', fields.CharField(max_length=64)),
                ('resource', fields.CharField(max_length=1024)),
                ('resource_type', fields.CharField(max_length=64)),
                ('status', fields.CharField(default='ACTIVE', max_length=16)),
                ('open_key', fields.CharField(null=True, max_length=1200)),
                ('details', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('analyzed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'findings', 'app': 'models', 'unique_together': (('account', 'open_key'),), 'indexes': [Index(fields=['account_id', 'status', 'id'])], 'pk_attr': 'id', 'table_description': 'One finding: a kind of problem (`finding_type`) about one resource (an ARN).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='name',
            field=fields.CharField(null=True, max_length=50),
        ),
        ops.AddField(
            model_name='RootUser',
            name='password_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='RootUser',
            name='password_reset_required',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Session',
            name='mfa_enrollment_required',
            field=fields.BooleanField(default=False),
        ),
    ]
