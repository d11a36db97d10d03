# `publish` with message_conf: what the runner honours, and a delayed delivery it refuses.
from datetime import timedelta

from pulsar import Function


class Conf(Function):
    def process(self, input, context):
        if input == "later":
            conf = {"deliver_after": timedelta(seconds=5)}
        else:
            conf = {"partition_key": "k-" + input, "event_timestamp": 1700000000000, "properties": {"p": "1"}}
        context.publish("persistent://public/default/conf", input, message_conf=conf)
