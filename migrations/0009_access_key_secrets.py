from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_audit_trail')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AccessKey',
            name='secret_sealed',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Session',
            name='secret_sealed',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
