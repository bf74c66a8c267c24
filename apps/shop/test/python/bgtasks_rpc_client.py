"""Calls an RPC route the way bgtasks' RPCClient does: an exclusive callback queue, the body as
plain JSON published to the default exchange with routing key = route, reply_to and
correlation_id; it polls for the reply until RPC_TIMEOUT, then raises TimeoutError.

usage: bgtasks_rpc_client.py AMQP_URL ROUTE TIMEOUT_SECONDS BODY_JSON...
Prints each reply (parsed JSON, re-encoded) on one line, or TIMEOUT.
"""
import json
import sys
import time
import uuid

import pika


class RPCClient:
    def __init__(self, url: str, timeout: float) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.timeout = timeout
        result = self.channel.queue_declare(queue="", exclusive=True)
        self.callback_queue = result.method.queue
        self.channel.basic_consume(queue=self.callback_queue, on_message_callback=self.on_response, auto_ack=True)
        self.response = None
        self.corr_id = None

    def on_response(self, _ch, _method, props, body) -> None:
        if self.corr_id == props.correlation_id:
            self.response = body

    def call(self, routing_key: str, body) -> object:
        self.response = None
        self.corr_id = str(uuid.uuid4())
        self.channel.basic_publish(
            exchange="",
            routing_key=routing_key,
            properties=pika.BasicProperties(reply_to=self.callback_queue, correlation_id=self.corr_id),
            body=json.dumps(body),
        )
        waited = 0.0
        while self.response is None:
            time.sleep(0.005)
            waited += 0.005
            if waited >= self.timeout:
                raise TimeoutError
            self.connection.process_data_events()
        return json.loads(self.response)


def main() -> None:
    url, route, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    client = RPCClient(url, timeout)
    for raw in sys.argv[4:]:
        try:
            print(json.dumps(client.call(route, json.loads(raw))), flush=True)
        except TimeoutError:
            print("TIMEOUT", flush=True)
    client.connection.close()


if __name__ == "__main__":
    main()
