"""Record classes and their field types, and the Avro schema they stand for.

A record is a class deriving `Record` whose class attributes are fields
(`Integer()`, `String(required=True)`, `Array(Long())`, another record's
instance, ...). A field that is not `required` may be None: its Avro type is
a union with "null". Instances are the values: `Order(id="a", cents=5)`.
"""

from enum import Enum, EnumMeta


class Field(object):
    """One field's type; `default`, `required` and `required_default` as in
    the public API."""

    # What `python_type()` says, what `validate_type` takes (the Python type
    # unless wider: a float field takes an int) and what `type()` says.
    _python_type = None
    _accepts = None
    _avro_type = None

    def __init__(self, default=None, required=False, required_default=False):
        if default is not None:
            default = self.validate_type("default", default)
        self._default = default
        self._required = required
        self._required_default = required_default

    def type(self):
        return self._avro_type

    def python_type(self):
        return self._python_type

    def default(self):
        return self._default

    def required_default(self):
        return self._required_default

    def validate_type(self, name, val):
        if val is None and not self._required:
            return None
        accepts = self._accepts or self._python_type
        if accepts is not None and not isinstance(val, accepts):
            raise TypeError("field %s: %r is not a %s" % (name, val, self._python_type.__name__))
        return val

    def schema(self):
        return self.type()

    def schema_info(self, defined_names):
        return self.schema()


class Null(Field):
    _python_type = type(None)
    _avro_type = "null"

    def validate_type(self, name, val):
        if val is not None:
            raise TypeError("field %s must be None" % name)
        return val


class Boolean(Field):
    _python_type = bool
    _avro_type = "boolean"


class Integer(Field):
    _python_type = int
    _avro_type = "int"


class Long(Field):
    _python_type = int
    _avro_type = "long"


class Float(Field):
    _python_type = float
    _accepts = (int, float)
    _avro_type = "float"


class Double(Field):
    _python_type = float
    _accepts = (int, float)
    _avro_type = "double"


class Bytes(Field):
    _python_type = bytes
    _avro_type = "bytes"

    def validate_type(self, name, val):
        if isinstance(val, str):
            return val.encode("utf-8")
        return Field.validate_type(self, name, val)


class String(Field):
    _python_type = str
    _avro_type = "string"

    def validate_type(self, name, val):
        if isinstance(val, bytes):
            return val.decode("utf-8")
        return Field.validate_type(self, name, val)


class CustomEnum(Field):
    """A field whose values are the members of a Python `Enum`."""

    _avro_type = "enum"

    def __init__(self, enum_type, default=None, required=False, required_default=False):
        if not isinstance(enum_type, EnumMeta):
            raise TypeError("CustomEnum takes an Enum class")
        self.enum_type = enum_type
        Field.__init__(self, default, required, required_default)

    def python_type(self):
        return self.enum_type

    def validate_type(self, name, val):
        if val is None and not self._required:
            return None
        if isinstance(val, self.enum_type):
            return val
        if isinstance(val, str) and val in self.enum_type.__members__:
            return self.enum_type[val]
        raise TypeError("field %s: %r is not a member of %s" % (name, val, self.enum_type.__name__))

    def schema(self):
        return {"type": "enum", "name": self.enum_type.__name__, "symbols": list(self.enum_type.__members__)}

    def schema_info(self, defined_names):
        if self.enum_type.__name__ in defined_names:
            return self.enum_type.__name__
        defined_names.add(self.enum_type.__name__)
        return self.schema()


class Array(Field):
    _python_type = list
    _avro_type = "array"

    def __init__(self, array_type, default=None, required=False, required_default=False):
        self.array_type = _as_field(array_type)
        Field.__init__(self, default, required, required_default)

    def validate_type(self, name, val):
        if val is None and not self._required:
            return None
        if not isinstance(val, list):
            raise TypeError("field %s: %r is not a list" % (name, val))
        return [self.array_type.validate_type(name, v) for v in val]

    def schema(self):
        return {"type": "array", "items": self.array_type.schema()}

    def schema_info(self, defined_names):
        return {"type": "array", "items": self.array_type.schema_info(defined_names)}


class Map(Field):
    _python_type = dict
    _avro_type = "map"

    def __init__(self, value_type, default=None, required=False, required_default=False):
        self.value_type = _as_field(value_type)
        Field.__init__(self, default, required, required_default)

    def validate_type(self, name, val):
        if val is None and not self._required:
            return None
        if not isinstance(val, dict) or not all(isinstance(k, str) for k in val):
            raise TypeError("field %s: %r is not a dict with str keys" % (name, val))
        return {k: self.value_type.validate_type(name, v) for k, v in val.items()}

    def schema(self):
        return {"type": "map", "values": self.value_type.schema()}

    def schema_info(self, defined_names):
        return {"type": "map", "values": self.value_type.schema_info(defined_names)}


def _as_field(kind):
    """A field type given as an instance, a field class or a record class."""
    if isinstance(kind, (Field, Record)):
        return kind
    if isinstance(kind, type) and issubclass(kind, (Field, Record)):
        return kind()
    raise TypeError("%r is not a field type" % (kind,))


class RecordMeta(type):
    """Collects a record class's fields, in the order they are declared."""

    def __new__(mcs, name, bases, attrs):
        fields = {}
        for base in bases:
            fields.update(getattr(base, "_fields", {}))
        for key, value in attrs.items():
            is_record = isinstance(type(value), RecordMeta)
            if not key.startswith("_") and (isinstance(value, Field) or is_record):
                fields[key] = value
        attrs["_fields"] = fields
        return type.__new__(mcs, name, bases, attrs)


class Record(metaclass=RecordMeta):
    """A record: a class of fields (its schema), and its instances (values).
    An instance declared in another record's body is a field of that type."""

    def __init__(self, default=None, required_default=False, required=False, *args, **kwargs):
        self.__dict__["_default"] = default
        self.__dict__["_required"] = required
        self.__dict__["_required_default"] = required_default
        for name, field in self._fields.items():
            if name in kwargs:
                value = field.validate_type(name, kwargs.pop(name))
            else:
                value = field.default()
            self.__dict__[name] = value
        if kwargs:
            raise AttributeError("%s has no field %s" % (type(self).__name__, ", ".join(sorted(kwargs))))

    def __setattr__(self, name, value):
        field = self._fields.get(name)
        if field is None:
            raise AttributeError("%s has no field %s" % (type(self).__name__, name))
        self.__dict__[name] = field.validate_type(name, value)

    def __eq__(self, other):
        if type(self) is not type(other):
            return False
        return all(getattr(self, n) == getattr(other, n) for n in self._fields)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join("%s=%r" % (n, getattr(self, n)) for n in self._fields))

    __str__ = __repr__

    @classmethod
    def schema(cls):
        return cls.schema_info(set())

    @classmethod
    def schema_info(cls, defined_names):
        name = cls.__name__
        if name in defined_names:
            return name
        defined_names.add(name)
        schema = {"type": "record", "name": name}
        namespace = getattr(cls, "_avro_namespace", None)
        if namespace:
            schema["namespace"] = namespace
        fields = []
        for field_name, field in cls._fields.items():
            entry = {"name": field_name, "type": _field_avro(field, defined_names)}
            default = field.default() if isinstance(field, Field) else field._default
            if isinstance(field, Field) and field.required_default() or not _required(field):
                entry["default"] = _avro_default(default)
            fields.append(entry)
        schema["fields"] = fields
        return schema

    def type(self):
        return "record"

    def python_type(self):
        return type(self)

    def default(self):
        return self._default

    def required_default(self):
        return self._required_default

    def validate_type(self, name, val):
        if val is None and not self._required:
            return None
        if isinstance(val, dict):
            return type(self)(**val)
        if not isinstance(val, type(self)):
            raise TypeError("field %s: %r is not a %s" % (name, val, type(self).__name__))
        return val


def _required(field):
    return field._required


def _field_avro(field, defined_names):
    inner = field.schema_info(defined_names) if isinstance(field, Field) else type(field).schema_info(defined_names)
    return inner if _required(field) else ["null", inner]


def _avro_default(value):
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, Record):
        return _to_plain(value)
    return value


def _to_plain(value):
    """A record (or any value holding records) as plain dicts, lists and enum names."""
    if isinstance(value, Record):
        return {n: _to_plain(getattr(value, n)) for n in value._fields}
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, list):
        return [_to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    return value


def _from_plain(record_cls, value):
    """A record instance from plain dicts (what a decoder gives)."""
    return record_cls(**{n: _field_value(f, value.get(n)) for n, f in record_cls._fields.items() if n in value})


def _field_value(field, value):
    if value is None:
        return None
    if isinstance(field, Record):
        return _from_plain(type(field), value)
    if isinstance(field, Array):
        return [_field_value(field.array_type, v) for v in value]
    if isinstance(field, Map):
        return {k: _field_value(field.value_type, v) for k, v in value.items()}
    if isinstance(field, CustomEnum):
        return field.enum_type[value]
    return value
