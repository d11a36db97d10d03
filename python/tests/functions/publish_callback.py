# `publish` with a callback: called when the broker has answered, not before.
from pulsar import Function, Result


class Confirmed(Function):
    def __init__(self):
        self.heard = []

    def process(self, input, context):
        def sent(result, message_id):
            self.heard.append("%s %s" % (Result(result).name, message_id))

        audit = context.get_user_config_value("audit") or "persistent://public/default/audit"
        context.publish(audit, input, callback=sent)
        if input == "raise":
            raise ValueError("after publishing")
        return ",".join(self.heard)
