# Logging, publishing to another topic, metrics and the message's fields.
from pulsar import Function


class Audit(Function):
    def process(self, input, context):
        log = context.get_logger()
        log.info("audit %s from %s key %s", input, context.get_current_message_topic_name(), context.get_message_key())
        context.publish(
            context.get_user_config_value("audit") or "persistent://public/default/audit",
            "seen " + input,
            properties={"by": context.get_function_name()},
        )
        context.record_metric("input_length", len(input))
        return None
