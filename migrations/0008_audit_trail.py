from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

# Events written before this migration get what their action says about them (the names
# CloudTrail gives it, whether it only reads) and a CloudTrail eventID; what was not recorded
# then (user agent, request parameters) stays empty. Kept self-contained: a migration must not
# change meaning when the application's code does.
_CONSOLE = {'gateway:SignIn': 'ConsoleLogin', 'gateway:SwitchBack': 'ExitRole'}
_READS = ('Get', 'List', 'Describe', 'Lookup', 'Simulate', 'AssumeRole')


def _names(action, details):
    service, _, name = action.partition(':')
    if action == 'sts:AssumeRole' and details.get('switchedFrom'):
        return 'signin.amazonaws.com', 'SwitchRole', 'AwsConsoleSignIn', False
    if action in _CONSOLE:
        return 'signin.amazonaws.com', _CONSOLE[action], 'AwsConsoleSignIn', False
    return f'{service.lower()}.amazonaws.com', name, 'AwsApiCall', name.startswith(_READS)


async def _backfill_cloudtrail_fields(apps, schema_editor):
    import uuid

    client = schema_editor.client
    postgres = client.capabilities.dialect == 'postgres'
    mark = (lambda n: f'${n}') if postgres else (lambda n: '?')
    update = (
        f'UPDATE audit_events SET event_id = {mark(1)}, event_source = {mark(2)}, '
        f'event_name = {mark(3)}, event_type = {mark(4)}, read_only = {mark(5)}, '
        f"user_agent = '', user_identity = {mark(6)} WHERE id = {mark(7)}"
    )
    last = 0
    while True:
        rows = await client.execute_query_dict(
            f'SELECT id, action, details, principal_arn, account_id FROM audit_events WHERE id > {mark(1)} '
            'ORDER BY id LIMIT 1000',
            [last],
        )
        if not rows:
            return
        values = []
        for row in rows:
            details = row['details']
            if isinstance(details, (str, bytes)):
                details = loads(details)
            identity = {'arn': row['principal_arn'], 'accountId': row['account_id']}
            values.append(
                [
                    str(uuid.uuid4()),
                    *_names(row['action'], details or {}),
                    dumps(identity, separators=(',', ':')),
                    row['id'],
                ]
            )
        await client.execute_many(update, values)
        last = rows[-1]['id']


class Migration(migrations.Migration):
    dependencies = [('models', '0007_security_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccessActivity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.CharField(max_length=12)),
                ('principal_arn', fields.CharField(max_length=1024)),
                ('principal_type', fields.CharField(max_length=16)),
                ('source_identity', fields.CharField(default='', max_length=64)),
                ('service', fields.CharField(max_length=64)),
                ('action', fields.CharField(max_length=128)),
                ('action_key', fields.CharField(max_length=128)),
                ('first_allowed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_allowed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('count', fields.BigIntField(default=0)),
            ],
            options={'table': 'access_activity', 'app': 'models', 'unique_together': (('account_id', 'principal_arn', 'source_identity', 'action_key'),), 'indexes': [Index(fields=['account_id', 'source_identity'])], 'pk_attr': 'id', 'table_description': 'How often, and when last, `principal_arn` was allowed `action` (IAM\'s "last accessed").'},
            bases=['Model'],
        ),
        ops.RemoveIndex(
            model_name='AuditEvent',
            name=None,
            fields=['account_id', 'occurred_at'],
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='account_id',
            field=fields.CharField(max_length=12),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='error_message',
            field=fields.CharField(null=True, max_length=2048),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='event_id',
            field=fields.CharField(null=True, max_length=36),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='event_name',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='event_source',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='event_type',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='read_only',
            field=fields.BooleanField(null=True),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='request_parameters',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='response_elements',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='user_agent',
            field=fields.CharField(null=True, max_length=1024),
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='user_identity',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.RunPython(_backfill_cloudtrail_fields, ops.RunPython.noop),
        ops.AlterField(
            model_name='AuditEvent',
            name='event_id',
            field=fields.CharField(unique=True, max_length=36),
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='event_name',
            field=fields.CharField(max_length=128),
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='event_source',
            field=fields.CharField(max_length=64),
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='event_type',
            field=fields.CharField(max_length=32),
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='read_only',
            field=fields.BooleanField(default=False),
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='user_agent',
            field=fields.CharField(default='', max_length=1024),
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='user_identity',
            field=fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AlterField(
            model_name='AuditEvent',
            name='occurred_at',
            field=fields.DatetimeField(auto_now=False, auto_now_add=True),
        ),
        ops.AddIndex(
            model_name='AuditEvent',
            index=Index(fields=['account_id', 'occurred_at', 'id']),
        ),
        ops.AddIndex(
            model_name='AuditEvent',
            index=Index(fields=['account_id', 'principal_arn', 'occurred_at', 'id']),
        ),
        ops.AddIndex(
            model_name='AuditEvent',
            index=Index(fields=['account_id', 'action', 'occurred_at', 'id']),
        ),
        ops.AddIndex(
            model_name='AuditEvent',
            index=Index(fields=['account_id', 'request_id']),
        ),
        ops.AddIndex(
            model_name='AuditEvent',
            index=Index(fields=['occurred_at']),
        ),
    ]
