from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_mfa_devices_and_roles')]

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
