# Messages that stop the interpreter: message {"poison": true} loops forever,
# exhausts memory, or crashes CPython itself (a segmentation fault). The
# runner's watchdog, the memory limit and the crash journal must dead-letter
# it alone.
import ctypes
import json

from pulsar import Function


def poisoned(input):
    return json.loads(input).get("poison", False)


class Loops(Function):
    def process(self, input, context):
        while poisoned(input):
            pass
        return input


class Allocates(Function):
    def process(self, input, context):
        hoard = []
        while poisoned(input):
            hoard.append(bytearray(1 << 20))
        return input


class Crashes(Function):
    def process(self, input, context):
        if poisoned(input):
            ctypes.string_at(0)
        return input
