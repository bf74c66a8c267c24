"""Sends commands the way django-microservices-communication's send_command does: to the exchange
named after the service, routing key = the command name, body = the camelized arguments plus
`meta` ({expiredTime} when sent with a timeout, {} otherwise).

usage: send_commands.py AMQP_URL SERVICE COMMAND TIMEOUT_SECONDS ARGS_JSON...
TIMEOUT_SECONDS: 0 for none, negative for an expiry already past. Prints one line per command
once the broker confirmed it.
"""
import datetime
import json
import re
import sys

import pika


def camelize(data):
    if isinstance(data, dict):
        return {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), k): camelize(v) for k, v in data.items()}
    if isinstance(data, list):
        return [camelize(v) for v in data]
    return data


def main() -> None:
    url, service, command, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.confirm_delivery()
    for raw in sys.argv[5:]:
        arguments = json.loads(raw)
        meta = {}
        if timeout != 0:
            expired = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=timeout)
            meta["expired_time"] = expired.isoformat().replace("+00:00", "Z")
        arguments["meta"] = meta
        channel.basic_publish(exchange=service, routing_key=command, body=json.dumps(camelize(arguments)), mandatory=True)
        print("SENT", flush=True)
    connection.close()


if __name__ == "__main__":
    main()
