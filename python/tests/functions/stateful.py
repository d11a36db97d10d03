# State needs BookKeeper's table service: refused clearly at run time.
from pulsar import Function


class Count(Function):
    def process(self, input, context):
        context.incr_counter(input, 1)
        return input
