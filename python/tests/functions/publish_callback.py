# `publish` with a callback: called when the broker has answered, not before.
from pulsar import Function, Result


class Confirmed(Function):
    def __init__(self):
        self.heard = []

    def process(self, input, context):
        def sent(result, message_id):
            self.heard.append("%s %s" % (Result(result).name, message_id))

        context.publish("persistent://public/default/audit", input, callback=sent)
        if input == "raise":
            raise ValueError("after publishing")
        return ",".join(self.heard)
