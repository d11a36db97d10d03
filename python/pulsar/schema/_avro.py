"""Avro binary encoding of plain values (dicts, lists, str, bytes, numbers),
for AvroSchema: the runner's image carries no fastavro."""

import struct


class Schema(object):
    def __init__(self, definition):
        self.named = {}
        self.root = self._parse(definition, None)

    def _parse(self, s, namespace):
        if isinstance(s, str):
            return self.named.get(_full(s, namespace), self.named.get(s, s))
        if isinstance(s, list):
            return {"type": "union", "branches": [self._parse(b, namespace) for b in s]}
        kind = s["type"]
        if kind in ("record", "error", "enum", "fixed"):
            full = _full(s["name"], s.get("namespace", namespace))
            node = dict(s)
            self.named[full] = node
            self.named.setdefault(s["name"], node)
            inner = full.rpartition(".")[0] or None
            if kind in ("record", "error"):
                node["fields"] = [dict(f, type=self._parse(f["type"], inner)) for f in s["fields"]]
            return node
        if kind == "array":
            return {"type": "array", "items": self._parse(s["items"], namespace)}
        if kind == "map":
            return {"type": "map", "values": self._parse(s["values"], namespace)}
        return self._parse(kind, namespace)

    def write(self, value):
        out = bytearray()
        _write(out, self.root, value)
        return bytes(out)

    def read(self, data):
        reader = _Reader(data)
        value = reader.value(self.root)
        if reader.at != len(data):
            raise ValueError("%d bytes left over after the Avro value" % (len(data) - reader.at))
        return value


def _full(name, namespace):
    return name if "." in name or not namespace else namespace + "." + name


def _long(out, n):
    n = (n << 1) ^ (n >> 63)
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _fits(s, v):
    kind = s if isinstance(s, str) else s["type"]
    return {
        "null": lambda: v is None,
        "boolean": lambda: isinstance(v, bool),
        "int": lambda: isinstance(v, int) and not isinstance(v, bool),
        "long": lambda: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda: isinstance(v, (int, float)) and not isinstance(v, bool),
        "double": lambda: isinstance(v, (int, float)) and not isinstance(v, bool),
        "string": lambda: isinstance(v, str),
        "bytes": lambda: isinstance(v, (bytes, bytearray)),
        "fixed": lambda: isinstance(v, (bytes, bytearray)),
        "enum": lambda: isinstance(v, str),
        "array": lambda: isinstance(v, list),
        "map": lambda: isinstance(v, dict),
        "record": lambda: isinstance(v, dict),
        "error": lambda: isinstance(v, dict),
    }.get(kind, lambda: False)()


def _write(out, s, v):
    kind = s if isinstance(s, str) else s["type"]
    if kind == "null":
        return
    if kind == "boolean":
        out.append(1 if v else 0)
    elif kind in ("int", "long"):
        _long(out, v)
    elif kind == "float":
        out += struct.pack("<f", v)
    elif kind == "double":
        out += struct.pack("<d", v)
    elif kind in ("string", "bytes"):
        raw = v.encode("utf-8") if isinstance(v, str) else bytes(v)
        _long(out, len(raw))
        out += raw
    elif kind == "fixed":
        out += bytes(v)
    elif kind == "enum":
        _long(out, s["symbols"].index(v))
    elif kind == "array":
        if v:
            _long(out, len(v))
            for item in v:
                _write(out, s["items"], item)
        out.append(0)
    elif kind == "map":
        if v:
            _long(out, len(v))
            for key, item in v.items():
                _write(out, "string", key)
                _write(out, s["values"], item)
        out.append(0)
    elif kind == "union":
        for i, branch in enumerate(s["branches"]):
            if _fits(branch, v):
                _long(out, i)
                _write(out, branch, v)
                return
        raise ValueError("%r matches no branch of the union" % (v,))
    elif kind in ("record", "error"):
        for f in s["fields"]:
            _write(out, f["type"], v.get(f["name"], f.get("default")))
    else:
        raise ValueError("unknown Avro type %r" % (kind,))


# Items of zero bytes (nulls, empty records) arrays and maps may hold in all,
# beyond one item per byte of the payload (as the runner's own reader).
ZERO_SIZE_ITEMS = 1 << 16


class _Reader(object):
    def __init__(self, data):
        self.data = bytes(data)
        self.at = 0
        self.items_left = len(self.data) + ZERO_SIZE_ITEMS

    def take(self, n):
        if self.at + n > len(self.data):
            raise ValueError("the Avro payload ends too early")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def long(self):
        shift, n = 0, 0
        while True:
            b = self.take(1)[0]
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return (n >> 1) ^ -(n & 1)

    def blocks(self, item):
        out = []
        while True:
            count = self.long()
            if count == 0:
                return out
            if count < 0:
                count = -count
                self.long()
            # A count the payload cannot hold is refused before any item is
            # read: a few bytes claiming 2**60 nulls would loop for ever.
            if count > self.items_left:
                raise ValueError("an array or map block of %d items in a payload of %d bytes" % (count, len(self.data)))
            self.items_left -= count
            for _ in range(count):
                out.append(item())

    def value(self, s):
        kind = s if isinstance(s, str) else s["type"]
        if kind == "null":
            return None
        if kind == "boolean":
            return self.take(1)[0] == 1
        if kind in ("int", "long"):
            return self.long()
        if kind == "float":
            return struct.unpack("<f", self.take(4))[0]
        if kind == "double":
            return struct.unpack("<d", self.take(8))[0]
        if kind == "string":
            return self.take(self.long()).decode("utf-8")
        if kind == "bytes":
            return self.take(self.long())
        if kind == "fixed":
            return self.take(s["size"])
        if kind == "enum":
            return s["symbols"][self.long()]
        if kind == "array":
            return self.blocks(lambda: self.value(s["items"]))
        if kind == "map":
            return dict(self.blocks(lambda: (self.value("string"), self.value(s["values"]))))
        if kind == "union":
            return self.value(s["branches"][self.long()])
        if kind in ("record", "error"):
            return {f["name"]: self.value(f["type"]) for f in s["fields"]}
        raise ValueError("unknown Avro type %r" % (kind,))
