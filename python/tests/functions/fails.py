# A user exception on some messages.
from pulsar import Function


class Fails(Function):
    def process(self, input, context):
        if input == "bad":
            raise ValueError("cannot take %s" % input)
        return input
