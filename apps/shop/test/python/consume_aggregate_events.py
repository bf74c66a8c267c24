"""Consumes aggregate-style events from exchange = aggregate, routing key = event type, and prints
each decoded body as one JSON line. Declares and binds its queue, prints READY once it consumes,
and exits after COUNT messages or TIMEOUT seconds (exit code 2 on timeout).

usage: consume_aggregate_events.py AMQP_URL AGGREGATE EVENT_TYPE QUEUE COUNT TIMEOUT
"""
import json
import sys

import pika


def main() -> None:
    url, aggregate, event_type, queue = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    count, timeout = int(sys.argv[5]), float(sys.argv[6])
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.exchange_declare(exchange=aggregate, exchange_type="topic", durable=True)
    channel.queue_declare(queue=queue, durable=False, auto_delete=True)
    channel.queue_bind(queue=queue, exchange=aggregate, routing_key=event_type)
    print("READY", flush=True)
    received = 0
    for method, _properties, body in channel.consume(queue, inactivity_timeout=timeout):
        if method is None:
            connection.close()
            sys.exit(2)
        print(json.dumps(json.loads(body)), flush=True)
        channel.basic_ack(method.delivery_tag)
        received += 1
        if received >= count:
            break
    channel.cancel()
    connection.close()


if __name__ == "__main__":
    main()
