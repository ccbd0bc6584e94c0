from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_least_privilege')]

    initial = False

    operations = [
        ops.AddField(
            model_name='SignInThrottle',
            name='identity',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddIndex(
            model_name='SignInThrottle',
            index=Index(fields=['identity']),
        ),
    ]
