"""The base class of a Pulsar function."""

from abc import abstractmethod


class Function(object):
    """A function that is a class: the runner makes one instance and calls
    `process(input, context)` for each message. Its result (unless None) is
    the output message; `context` is a `pulsar.functions.context.Context`."""

    @abstractmethod
    def process(self, input, context):
        pass
