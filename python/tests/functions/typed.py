# Typed records: an AVRO input reaches a Record, a JSON output is written from one.
from pulsar import Function
from pulsar.schema import Record, String, Long, Double


class Payment(Record):
    id = String(required=True)
    cents = Long(required=True)


class Priced(Record):
    id = String(required=True)
    euros = Double(required=True)


class Price(Function):
    def process(self, payment, context):
        return Priced(id=payment.id, euros=payment.cents / 100)
