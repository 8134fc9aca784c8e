#!/usr/bin/env python3
"""Read an activa topic the way a downstream tool would, with no activa code.

Consumes a topic from the beginning with confluent-kafka-python (librdkafka) and a
random group id, decodes every value with Confluent's AvroDeserializer through a
Schema Registry (the writer schema is found by the id in the Confluent wire format),
and prints each decoded value as one JSON line on stdout. A summary goes to stderr.

Exit status:
  0  at least --min values decoded, none failed, and every decoded value has each
     --expect-field (a dotted path such as ids.cookie; a null value counts as present)
  1  any of that is not so, or the topic does not exist
  2  bad arguments

Example:
  python integration/python/check_avro.py --brokers 127.0.0.1:29092 \\
      --registry http://127.0.0.1:38081 --topic activa.segment.changes \\
      --expect-field profile_id --min 1
"""

import argparse
import base64
import datetime
import decimal
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

_MISSING = object()


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Decode an Avro topic through a Schema Registry and check it.")
    p.add_argument("--brokers", required=True,
                   help="bootstrap servers, e.g. 127.0.0.1:29092")
    p.add_argument("--registry", required=True,
                   help="Schema Registry URL, e.g. http://127.0.0.1:38081")
    p.add_argument("--topic", required=True, help="topic to read")
    p.add_argument("--expect-field", action="append", default=[], metavar="NAME",
                   help="field every decoded value must have (dotted path for nested "
                        "records); may be repeated")
    p.add_argument("--min", type=int, default=1, metavar="N",
                   help="least number of decoded values to succeed (default 1)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="give up after this long without reaching --min (default 60)")
    args = p.parse_args(argv)
    if args.min < 0:
        p.error("--min must not be negative")
    return args


def lookup(record, path):
    """Returns the value at a dotted path, or _MISSING."""
    value = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def to_json(value):
    """json.dumps default for what fastavro decodes beyond plain JSON types."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def partition_count(consumer, topic, timeout):
    md = consumer.list_topics(topic, timeout=timeout)
    tmd = md.topics.get(topic)
    if tmd is None or tmd.error is not None:
        err = tmd.error if tmd is not None else "absent from metadata"
        raise SystemExit(f"check_avro: topic {topic}: {err}")
    return len(tmd.partitions)


def main(argv=None):
    args = parse_args(argv)
    registry = SchemaRegistryClient({"url": args.registry})
    deserialize = AvroDeserializer(registry)
    ctx = SerializationContext(args.topic, MessageField.VALUE)

    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": f"check-avro-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        # Read only committed records of transactional producers, as a tool would.
        "isolation.level": "read_committed",
    })
    decoded = failed = tombstones = 0
    missing = {name: 0 for name in args.expect_field}
    try:
        partitions = partition_count(consumer, args.topic, timeout=min(args.timeout, 30))
        consumer.subscribe([args.topic])
        at_end = set()
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            if len(at_end) >= partitions and decoded >= args.min:
                break
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                    continue
                if msg.error().fatal():
                    raise KafkaException(msg.error())
                print(f"check_avro: {msg.error()}", file=sys.stderr)
                continue
            at_end.discard(msg.partition())
            where = f"{args.topic}[{msg.partition()}]@{msg.offset()}"
            if msg.value() is None:
                tombstones += 1
                continue
            try:
                value = deserialize(msg.value(), ctx)
            except Exception as exc:  # any decoding failure is a failed check
                failed += 1
                print(f"check_avro: decoding {where}: {exc}", file=sys.stderr)
                continue
            decoded += 1
            for name in args.expect_field:
                if lookup(value, name) is _MISSING:
                    missing[name] += 1
                    print(f"check_avro: {where} has no field {name!r}", file=sys.stderr)
            print(json.dumps(value, default=to_json, sort_keys=True), flush=True)
    finally:
        consumer.close()

    problems = []
    if decoded < args.min:
        problems.append(f"decoded {decoded} values, want at least {args.min}")
    if failed:
        problems.append(f"{failed} values could not be decoded")
    problems += [f"{n} values lack field {name!r}" for name, n in missing.items() if n]
    summary = f"{args.topic}: {decoded} decoded, {failed} failed, {tombstones} tombstones"
    if problems:
        print(f"check_avro: FAIL {summary}: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"check_avro: OK {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
