# User config and secrets through the context; a module-level helper.
from pulsar import Function


class ConfigAppend(Function):
    def process(self, input, context):
        suffix = context.get_user_config_value("suffix")
        token = context.get_secret("API_TOKEN")
        if input == "leak":
            raise ValueError("the token is %s" % token)
        if input == "log":
            context.get_logger().warning("using token %s", token)
        return "%s%s (%d)" % (input, suffix, len(token or ""))
