#!/usr/bin/env bash
# A local 3-node RabbitMQ cluster next to the default node (which it never touches):
#   cluster.sh start | stop | status
# Nodes c1@localhost, c2@localhost, c3@localhost listen on 127.0.0.1:5681-5683 (AMQP) with their
# own config file, distribution port, data and log directories under $METRO_CLUSTER_DIR
# (default /tmp/metro-rabbitmq-cluster). They run as the `rabbitmq` user, so they share the
# default node's Erlang cookie. `start` is idempotent: nodes already running are kept.
# c3 alone has a consumer timeout of 5 s (`consumer_timeout` in its rabbitmq.conf, checked every
# second: `channel_tick_interval` in its advanced.config), so a test can hold a delivery past it.
set -euo pipefail

DIR="${METRO_CLUSTER_DIR:-/tmp/metro-rabbitmq-cluster}"
NODES=(1 2 3)
BIN=/usr/lib/rabbitmq/bin
CONSUMER_TIMEOUT_MS=5000

as_rabbitmq() {
  if [ "$(id -u)" = "$(id -u rabbitmq)" ]; then env HOME=/var/lib/rabbitmq "$@"; else runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq "$@"; fi
}
ctl() { as_rabbitmq "$BIN/rabbitmqctl" -n "c$1@localhost" "${@:2}"; }
running() { ctl "$1" -q await_startup --timeout 2 >/dev/null 2>&1; }

node_env() {
  local n=$1 base="$DIR/c$1"
  echo RABBITMQ_NODENAME="c$n@localhost" RABBITMQ_CONFIG_FILE="$base/rabbitmq.conf" \
    RABBITMQ_DIST_PORT=$((25680 + n)) RABBITMQ_MNESIA_BASE="$base/mnesia" RABBITMQ_LOG_BASE="$base/log" \
    RABBITMQ_PID_FILE="$base/pid" RABBITMQ_ADVANCED_CONFIG_FILE="$base/advanced.config" RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins" RABBITMQ_ENABLED_PLUGINS=""
}

start_node() {
  local n=$1 base="$DIR/c$1"
  if running "$n"; then return 0; fi
  mkdir -p "$base/mnesia" "$base/log"
  cat > "$base/rabbitmq.conf" <<CONF
listeners.tcp.local = 127.0.0.1:$((5680 + n))
loopback_users = none
CONF
  if [ "$n" = 3 ]; then
    echo "consumer_timeout = $CONSUMER_TIMEOUT_MS" >> "$base/rabbitmq.conf"
    echo "[{rabbit, [{channel_tick_interval, 1000}]}]." > "$base/advanced.config"
  else
    echo "[]." > "$base/advanced.config"
  fi
  echo "[]." > "$base/enabled_plugins"
  chown -R rabbitmq:rabbitmq "$DIR"
  # shellcheck disable=SC2046
  as_rabbitmq env $(node_env "$n") "$BIN/rabbitmq-server" -detached
}

wait_node() {
  for _ in $(seq 1 120); do running "$1" && return 0; sleep 1; done
  echo "node c$1@localhost did not start; see $DIR/c$1/log" >&2
  return 1
}


case "${1:-status}" in
  start)
    began=$(date +%s)
    mkdir -p "$DIR"
    for n in "${NODES[@]}"; do start_node "$n"; done
    for n in "${NODES[@]}"; do wait_node "$n"; done
    for n in 2 3; do
      if ! ctl 1 -q cluster_status 2>/dev/null | grep -q "c$n@localhost"; then
        ctl "$n" -q stop_app
        ctl "$n" -q reset
        ctl "$n" -q join_cluster c1@localhost
        ctl "$n" -q start_app
      fi
    done
    echo "cluster c1,c2,c3 up on 127.0.0.1:5681-5683 in $(( $(date +%s) - began )) s"
    ;;
  stop)
    for n in "${NODES[@]}"; do ctl "$n" -q stop >/dev/null 2>&1 || true; done
    rm -rf "$DIR"
    echo "cluster stopped"
    ;;
  status)
    for n in "${NODES[@]}"; do
      if running "$n"; then echo "c$n@localhost: running on 127.0.0.1:$((5680 + n))"; else echo "c$n@localhost: down"; fi
    done
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
