# A custom SerDe for the input and the output.
from pulsar import Function
from pulsar.functions.serde import SerDe


class Point(object):
    def __init__(self, x, y):
        self.x, self.y = x, y


class PointSerDe(SerDe):
    def serialize(self, point):
        return ("%d,%d" % (point.x, point.y)).encode()

    def deserialize(self, input_bytes):
        x, y = input_bytes.decode().split(",")
        return Point(int(x), int(y))


class Mirror(Function):
    def process(self, point, context):
        return Point(point.y, point.x)
