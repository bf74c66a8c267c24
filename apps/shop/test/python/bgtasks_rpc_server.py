"""Serves an RPC route the way bgtasks' RPCServer does: declares the queue named after the route,
prefetch 1, calls the task with the JSON body and publishes what it returns to reply_to with the
request's correlation_id, then acks. The task looks images up by `pks` and answers
{status: success, data: [...]}, {status: fail, data: errors} for no pks, and a bare number for
{"count": true} (bgtasks returns whatever the task returned).

usage: bgtasks_rpc_server.py AMQP_URL ROUTE COUNT TIMEOUT_SECONDS
Prints READY once it consumes, then each request body as one JSON line; exits after COUNT
requests, or with code 2 after TIMEOUT seconds without one.
"""
import json
import sys

import pika


def task(body):
    if body.get("count"):
        return 3
    pks = body.get("pks") or []
    if not pks:
        return {"status": "fail", "data": {"pks": ["This field is required."]}}
    return {"status": "success", "data": [{"id": pk, "path": f"/img/{pk}.jpg"} for pk in pks]}


def main() -> None:
    url, route, count, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.queue_declare(queue=route)
    channel.basic_qos(prefetch_count=1)
    print("READY", flush=True)
    served = 0
    for method, props, body in channel.consume(route, inactivity_timeout=timeout):
        if method is None:
            connection.close()
            sys.exit(2)
        request = json.loads(body)
        print(json.dumps(request), flush=True)
        channel.basic_publish(
            exchange="",
            routing_key=props.reply_to,
            properties=pika.BasicProperties(correlation_id=props.correlation_id),
            body=json.dumps(task(request)),
        )
        channel.basic_ack(method.delivery_tag)
        served += 1
        if served >= count:
            break
    channel.cancel()
    connection.close()


if __name__ == "__main__":
    main()
