"""Serializers between message payloads (bytes) and the values a function sees."""

import pickle
from abc import abstractmethod


class SerDe(object):
    """Turns values into payloads and back; a function names a subclass for
    each input (`customSerdeInputs`) and for its output (`outputSerdeClassName`)."""

    @abstractmethod
    def serialize(self, input):
        pass

    @abstractmethod
    def deserialize(self, input_bytes):
        pass


class IdentitySerDe(SerDe):
    """The default. A payload is read as the first of int, float, complex and
    str that parses its UTF-8 text (so b"5" is the int 5), else left as bytes;
    a value of those types is written as its text, bytes as they are."""

    def __init__(self):
        self._types = (int, float, complex, str)

    def serialize(self, input):
        if isinstance(input, bytes):
            return input
        if type(input) in self._types:
            return str(input).encode("utf-8")
        raise TypeError("IdentitySerDe cannot serialize a %s" % type(input).__name__)

    def deserialize(self, input_bytes):
        try:
            text = input_bytes.decode("utf-8")
        except (UnicodeDecodeError, AttributeError):
            return input_bytes
        for kind in self._types:
            try:
                return kind(text)
            except (ValueError, TypeError):
                continue
        return input_bytes


class PickleSerDe(SerDe):
    """Python objects as pickles (both ends must be Python functions)."""

    def serialize(self, input):
        return pickle.dumps(input)

    def deserialize(self, input_bytes):
        return pickle.loads(input_bytes)
