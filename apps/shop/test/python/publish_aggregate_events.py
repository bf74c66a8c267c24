"""Publishes aggregate-style events the way Python services on RabbitMQ commonly do:
exchange = aggregate (topic, durable), routing key = event type, body =
{eventId, eventTime, eventType, aggregate, payload}.

usage: publish_aggregate_events.py AMQP_URL AGGREGATE EVENT_TYPE COUNT
Prints the event ids it published, one per line, after the broker confirmed them.
"""
import datetime
import json
import sys
import uuid

import pika


def main() -> None:
    url, aggregate, event_type, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.exchange_declare(exchange=aggregate, exchange_type="topic", durable=True)
    for i in range(count):
        event_id = str(uuid.uuid4())
        body = {
            "eventId": event_id,
            "eventTime": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "eventType": event_type,
            "aggregate": aggregate,
            "payload": {"orderId": f"py-{i}", "amount": i * 10},
        }
        channel.basic_publish(
            exchange=aggregate,
            routing_key=event_type,
            body=json.dumps(body).encode("utf-8"),
            properties=pika.BasicProperties(content_type="application/json", delivery_mode=2),
            mandatory=True,
        )
        print(event_id, flush=True)
    connection.close()


if __name__ == "__main__":
    main()
