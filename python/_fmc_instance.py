"""The Python side of fmc-runner's Python engine: loads the user's function
as Pulsar's Python instance does, and runs it on one message at a time.

Why here and not in Rust: SerDe classes, record classes, the logger and the
context are Python objects the user's code calls into; keeping them in Python
leaves the Rust side one call per message (bytes and a dict in, a dict out),
taken under the GIL once. Nothing here talks to Pulsar: what the function
publishes, logs and measures is handed back to the runner, which sends it.
"""

import importlib
import inspect
import itertools
import json
import logging
import os
import sys

import pulsar
from pulsar.functions import serde as serde_module
from pulsar.functions.context import Context
from pulsar.schema import AvroSchema, BytesSchema, JsonSchema, Record, StringSchema

STATE_REFUSED = (
    "state (counters and put_state/get_state) needs BookKeeper's table service, "
    "which fmc-runner does not provide"
)


# `publish(..., message_conf=...)` takes the keyword arguments of the
# pulsar-client's `send_async`. These the runner honours; the others change
# what the broker does with the message (delayed delivery, replication,
# deduplication), so they are refused rather than dropped.
MESSAGE_CONF_HONOURED = ("event_timestamp", "partition_key", "properties")
MESSAGE_CONF_REFUSED = {
    "deliver_after": "delayed delivery",
    "deliver_at": "delayed delivery",
    "replication_clusters": "per-message replication",
    "disable_replication": "per-message replication",
    "sequence_id": "sequence ids for deduplication",
}


def _check_message_conf(conf):
    for key in sorted(conf):
        if key in MESSAGE_CONF_HONOURED:
            continue
        what = MESSAGE_CONF_REFUSED.get(key)
        honoured = ", ".join(MESSAGE_CONF_HONOURED)
        if what is None:
            raise TypeError("publish: message_conf has no key %r (it takes %s)" % (key, honoured))
        raise NotImplementedError(
            "publish: message_conf %r (%s) is not supported by fmc-runner; it takes %s" % (key, what, honoured)
        )


def _import_class(name):
    """`module.Class` (or a dotted path to any attribute)."""
    module_name, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def _serde_class(name):
    """A SerDe class by the names functions use: `serde.IdentitySerDe`,
    `pulsar.functions.serde.PickleSerDe`, or the user's `module.Class`."""
    short = name.rpartition(".")[2]
    if name.startswith("serde.") or name.startswith("pulsar.functions.serde."):
        return getattr(serde_module, short)
    return _import_class(name)


class MessageId(object):
    """A message's id as the runner knows it; `ack` takes it back."""

    def __init__(self, text):
        self._text = text

    def serialize(self):
        return self._text.encode("utf-8")

    def __str__(self):
        return self._text

    def __repr__(self):
        return "MessageId(%s)" % self._text

    def __eq__(self, other):
        return isinstance(other, MessageId) and other._text == self._text

    def __hash__(self):
        return hash(self._text)


class _Collect(logging.Handler):
    """Log records of the function, handed to the runner with the message's result."""

    def __init__(self):
        logging.Handler.__init__(self, logging.DEBUG)
        self.lines = []

    def emit(self, record):
        try:
            self.lines.append((record.levelname.lower(), self.format(record)))
        except Exception:  # a log line must never fail the message
            self.lines.append(("error", "a log record could not be formatted"))


class Codec(object):
    """How one topic's payloads become values: a schema, else a SerDe."""

    def __init__(self, schema_type, record_class, serde_name):
        record_cls = _import_class(record_class) if record_class else None
        kind = (schema_type or "").upper()
        self.schema = None
        self.serde = None
        if kind == "STRING":
            self.schema = StringSchema()
        elif kind == "BYTES":
            self.schema = BytesSchema()
        elif kind == "JSON":
            self.schema = _JsonValues() if record_cls is None else JsonSchema(record_cls)
        elif kind == "AVRO":
            if record_cls is None:
                raise ValueError("an AVRO topic needs the record class its values are (typeClassName)")
            self.schema = AvroSchema(record_cls)
        elif kind:
            raise ValueError("the Python engine reads STRING, BYTES, JSON and AVRO topics, not %s" % kind)
        else:
            self.serde = _serde_class(serde_name or "serde.IdentitySerDe")()

    def decode(self, payload):
        return self.schema.decode(payload) if self.schema else self.serde.deserialize(payload)

    def encode(self, value):
        if self.schema:
            return self.schema.encode(value)
        return bytes(self.serde.serialize(value))


class _JsonValues(object):
    """JSON without a record class: dicts and lists."""

    def decode(self, payload):
        return json.loads(payload)

    def encode(self, value):
        if isinstance(value, Record):
            return JsonSchema(type(value)).encode(value)
        return json.dumps(value, separators=(",", ":")).encode("utf-8")


class RunnerContext(Context):
    """The `Context` a function gets: one per function, its message fields
    set before each call."""

    def __init__(self, spec, logger):
        self._spec = spec
        self._logger = logger
        self._message = {}
        self._publish_codecs = {}
        # `publish` callbacks by ticket, until the broker answers (`Instance.receipts`).
        self.waiting = {}
        self._tickets = itertools.count(1)
        self.reset()

    def reset(self, message=None):
        self._message = message or {}
        self.published = []
        self.metrics = []
        self.acked = []

    # The message.
    def get_message_id(self):
        return MessageId(self._message.get("messageId", ""))

    def get_message_key(self):
        return self._message.get("key")

    def get_message_eventtime(self):
        return self._message.get("eventTime")

    def get_message_properties(self):
        return dict(self._message.get("properties") or {})

    def get_current_message_topic_name(self):
        return self._message.get("topic")

    def get_partition_key(self):
        return self._message.get("key")

    def get_ordering_key(self):
        return self._message.get("orderingKey")

    # The function.
    def get_function_tenant(self):
        return self._spec["tenant"]

    def get_function_namespace(self):
        return self._spec["namespace"]

    def get_function_name(self):
        return self._spec["name"]

    def get_function_id(self):
        return self._spec.get("functionId", "")

    def get_instance_id(self):
        return self._spec.get("instanceId", 0)

    def get_function_version(self):
        return self._spec.get("functionVersion", "")

    def get_logger(self):
        return self._logger

    def get_user_config_value(self, key):
        return (self._spec.get("userConfig") or {}).get(key)

    def get_user_config_map(self):
        return dict(self._spec.get("userConfig") or {})

    def get_secret(self, secret_name):
        return (self._spec.get("secrets") or {}).get(secret_name)

    def get_input_topics(self):
        return list(self._spec.get("inputs") or [])

    def get_output_topic(self):
        return self._spec.get("output")

    def get_output_serde_class_name(self):
        return self._spec.get("outputSerde")

    # What the function does besides returning a value.
    def record_metric(self, metric_name, metric_value):
        self.metrics.append((str(metric_name), float(metric_value)))

    def publish(
        self,
        topic_name,
        message,
        serde_class_name="serde.IdentitySerDe",
        properties=None,
        compression_type=None,
        callback=None,
        message_conf=None,
    ):
        conf = dict(message_conf or {})
        _check_message_conf(conf)
        payload = self._publish_encoder(serde_class_name, message)(message)
        props = dict(conf.get("properties") or {})
        props.update(properties or {})
        key = conf.get("partition_key")
        event_time = conf.get("event_timestamp")
        ticket = None
        if callback is not None:
            ticket = next(self._tickets)
            self.waiting[ticket] = callback
        properties = {str(k): str(v) for k, v in props.items()}
        self.published.append((str(topic_name), payload, properties, key, event_time, ticket))

    def _publish_encoder(self, serde, message):
        if not isinstance(serde, str) and hasattr(serde, "encode"):
            return serde.encode
        if isinstance(message, Record) and serde == "serde.IdentitySerDe":
            return JsonSchema(type(message)).encode
        if serde not in self._publish_codecs:
            self._publish_codecs[serde] = _serde_class(serde)()
        return lambda m: bytes(self._publish_codecs[serde].serialize(m))

    def ack(self, msgid, topic):
        self.acked.append(str(msgid))

    # State: refused (fmc check says so before a function with state runs here).
    def incr_counter(self, key, amount):
        raise RuntimeError(STATE_REFUSED)

    def get_counter(self, key):
        raise RuntimeError(STATE_REFUSED)

    def del_counter(self, key):
        raise RuntimeError(STATE_REFUSED)

    def put_state(self, key, value):
        raise RuntimeError(STATE_REFUSED)

    def get_state(self, key):
        raise RuntimeError(STATE_REFUSED)


class Instance(object):
    """One function: loaded once, then called per message by the runner."""

    def __init__(self, spec_json):
        spec = json.loads(spec_json)
        self.spec = spec
        for path in reversed(spec.get("paths") or []):
            if path not in sys.path:
                sys.path.insert(0, path)
        self.handler = _Collect()
        self.handler.setFormatter(logging.Formatter("%(message)s"))
        # Its own logger, not the registry's: a second instance in one process
        # (tests) must not share the first one's handler.
        logger = logging.Logger("fmc.function." + spec["name"], logging.DEBUG)
        logger.propagate = False
        logger.addHandler(self.handler)
        self.context = RunnerContext(spec, logger)
        self.call = self._load(spec["className"])
        schemas = spec.get("inputSchemaTypes") or {}
        serdes = spec.get("inputSerde") or {}
        classes = spec.get("inputTypeClasses") or {}
        self.inputs = {
            t: Codec(schemas.get(t), classes.get(t), serdes.get(t)) for t in (spec.get("inputs") or [])
        }
        self.default_input = Codec(None, None, None)
        self.output = Codec(spec.get("outputSchemaType"), spec.get("outputTypeClass"), spec.get("outputSerde"))

    def _load(self, class_name):
        if "." not in class_name:
            module = importlib.import_module(class_name)
            return lambda value, context: module.process(value)
        target = _import_class(class_name)
        if inspect.isclass(target):
            target = target()
        if isinstance(target, pulsar.Function):
            return target.process
        process = getattr(target, "process", None)
        if process is None:
            raise TypeError("%s has no process method" % class_name)
        if len(inspect.signature(process).parameters) >= 2:
            return process
        return lambda value, context: process(value)

    def codec_of(self, topic):
        codec = self.inputs.get(topic)
        if codec is None and "-partition-" in topic:
            codec = self.inputs.get(topic.rpartition("-partition-")[0])
        return codec or self.default_input

    def process(self, payload, message):
        """(output bytes or None, published, log lines, metrics, acked ids,
        error or None): a user exception is the message's error, and what the
        function logged before it still reaches the log."""
        self.context.reset(message)
        self.handler.lines = []
        output, error = None, None
        try:
            value = self.codec_of(message.get("topic") or "").decode(payload)
            result = self.call(value, self.context)
            output = None if result is None else self.output.encode(result)
        except Exception as e:
            error = _describe(e)
        if error is not None:
            # Nothing of a failed call is sent: its callbacks hear so now.
            unsent = [(p[5], False) for p in self.context.published if p[5]]
            for e in self._answer(unsent):
                self.handler.lines.append(("error", "a publish callback failed: " + e))
        logs, self.handler.lines = self.handler.lines, []
        c = self.context
        return (output, c.published, logs, c.metrics, c.acked, error)

    def receipts(self, answers):
        """Calls the `publish` callbacks the broker has answered for, as the
        pulsar-client calls a `send_async` callback: `(pulsar.Result,
        MessageId)`, the id None when the send failed. Returns (log lines the
        callbacks wrote, their exceptions described)."""
        self.handler.lines = []
        errors = self._answer(answers)
        logs, self.handler.lines = self.handler.lines, []
        return (logs, errors)

    def _answer(self, answers):
        errors = []
        for answer in answers:
            callback = self.context.waiting.pop(answer[0], None)
            if callback is None:
                continue
            try:
                if answer[1]:
                    callback(pulsar.Result.Ok, MessageId(answer[2]))
                else:
                    callback(pulsar.Result.UnknownError, None)
            except Exception as e:
                errors.append(_describe(e))
        return errors


def _describe(e):
    """`Type: message (file:line in function)` of the innermost frame."""
    import traceback

    frames = traceback.extract_tb(e.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = " (%s:%d in %s)" % (os.path.basename(last.filename), last.lineno, last.name)
    return "%s: %s%s" % (type(e).__name__, e, where)


def start(spec_json):
    return Instance(spec_json)
