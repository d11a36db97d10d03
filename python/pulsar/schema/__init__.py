"""Schemas of typed topics: record classes a function declares, and the
schemas that encode them (`AvroSchema`, `JsonSchema`, `StringSchema`, ...)."""

from pulsar.schema.definition import (
    Array,
    Boolean,
    Bytes,
    CustomEnum,
    Double,
    Field,
    Float,
    Integer,
    Long,
    Map,
    Null,
    Record,
    String,
)
from pulsar.schema.schema import (
    AvroSchema,
    BytesSchema,
    JsonSchema,
    ProtobufNativeSchema,
    Schema,
    StringSchema,
)
