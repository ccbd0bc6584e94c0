from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_signin_attempts')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='policy_generation',
            field=fields.BigIntField(default=0),
        ),
    ]
