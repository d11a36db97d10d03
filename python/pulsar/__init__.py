"""The `pulsar` package of fmc-runner's Python engine.

Functions written for Apache Pulsar import `pulsar.Function`, the context and
SerDe classes of `pulsar.functions`, and the record types of `pulsar.schema`.
The runner is their Pulsar client, so this package holds only that API,
written for the runner from the public API (names and signatures match the
pulsar-client wheel's; a test compares them). It needs no pulsar-client wheel,
no gRPC and no BookKeeper client.
"""

import enum

from pulsar.functions.function import Function
from pulsar.schema import (
    Array,
    AvroSchema,
    Boolean,
    Bytes,
    BytesSchema,
    CustomEnum,
    Double,
    Field,
    Float,
    Integer,
    JsonSchema,
    Long,
    Map,
    Null,
    Record,
    Schema,
    String,
    StringSchema,
)


class Result(enum.IntEnum):
    """What a send came to, as a `publish` callback's first argument: the
    pulsar-client's result codes (the same names and numbers) for the
    outcomes the runner reports."""

    Ok = 0
    UnknownError = 1
    InvalidConfiguration = 2
    Timeout = 3
    LookupError = 4
    ConnectError = 5
