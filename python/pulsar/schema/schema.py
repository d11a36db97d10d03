"""Schemas: how a topic's payloads become values and back."""

import json

from pulsar.schema import _avro
from pulsar.schema.definition import Record, _from_plain, _to_plain


class Schema(object):
    """A schema of a type (`schema_type`, Pulsar's name: AVRO, JSON, ...) for
    values of `record_cls`, with its definition (a JSON text or None)."""

    def __init__(self, record_cls, schema_type, schema_definition, schema_name):
        self._record_cls = record_cls
        self._schema_type = schema_type
        self._schema_definition = schema_definition
        self._schema_name = schema_name

    def encode(self, obj):
        raise NotImplementedError

    def decode(self, data):
        raise NotImplementedError

    def decode_message(self, msg):
        return self.decode(msg.data())

    def schema_info(self):
        return {"type": self._schema_type, "name": self._schema_name, "schema": self._schema_definition}

    def attach_client(self, client):
        """The runner is the client: nothing to attach."""

    def __str__(self):
        return "%s(%s)" % (type(self).__name__, self._schema_definition)


class BytesSchema(Schema):
    def __init__(self):
        Schema.__init__(self, bytes, "BYTES", None, "BYTES")

    def encode(self, data):
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("BytesSchema encodes bytes, given a %s" % type(data).__name__)
        return bytes(data)

    def decode(self, data):
        return data


class StringSchema(Schema):
    def __init__(self):
        Schema.__init__(self, str, "STRING", None, "STRING")

    def encode(self, obj):
        if not isinstance(obj, str):
            raise TypeError("StringSchema encodes str, given a %s" % type(obj).__name__)
        return obj.encode("utf-8")

    def decode(self, data):
        return data.decode("utf-8")


class JsonSchema(Schema):
    """A record as JSON text; the definition is the record's Avro schema, as
    Pulsar's JSON schemas carry it."""

    def __init__(self, record_cls):
        definition = json.dumps(record_cls.schema()) if _is_record_class(record_cls) else None
        Schema.__init__(self, record_cls, "JSON", definition, "JSON")

    def encode(self, obj):
        return json.dumps(_to_plain(obj) if isinstance(obj, Record) else obj, separators=(",", ":")).encode("utf-8")

    def decode(self, data):
        value = json.loads(data)
        if _is_record_class(self._record_cls) and isinstance(value, dict):
            return _from_plain(self._record_cls, value)
        return value


class AvroSchema(Schema):
    """A record as Avro binary. Without a record class, `schema_definition`
    (a dict) says the schema and values are dicts. (The names are those of
    the pulsar-client wheel with its Avro support, `pulsar-client[avro]`.)"""

    def __init__(self, record_cls, schema_definition=None):
        if record_cls is None and schema_definition is None:
            raise ValueError("AvroSchema needs a record class or a schema definition")
        definition = record_cls.schema() if record_cls is not None else schema_definition
        self._avro = _avro.Schema(definition)
        Schema.__init__(self, record_cls, "AVRO", json.dumps(definition), "AVRO")

    def encode_dict(self, d):
        """A dict's values as Avro takes them: records as dicts, enums by name."""
        return {k: _to_plain(v) for k, v in d.items()}

    def encode(self, obj):
        value = _to_plain(obj) if isinstance(obj, Record) else obj
        return self._avro.write(value)

    def decode(self, data):
        value = self._avro.read(data)
        if self._record_cls is not None and isinstance(value, dict):
            return _from_plain(self._record_cls, value)
        return value


class ProtobufNativeSchema(Schema):
    """Protobuf messages need their generated classes and the protobuf
    runtime, which fmc-runner's Python engine does not carry."""

    def __init__(self, _record_cls=None):
        Schema.__init__(self, _record_cls, "PROTOBUF_NATIVE", None, "PROTOBUF_NATIVE")

    def encode(self, obj):
        raise NotImplementedError("fmc-runner's Python engine has no protobuf runtime")

    def decode(self, data):
        raise NotImplementedError("fmc-runner's Python engine has no protobuf runtime")


def _is_record_class(cls):
    return isinstance(cls, type) and issubclass(cls, Record)
