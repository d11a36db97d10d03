# The upstream example's shape: a pulsar.Function subclass.
from pulsar import Function


class ExclamationFunction(Function):
    def process(self, input, context):
        return input + "!"
