#!/usr/bin/env bash
# Builds Hookdeck Outpost from its Go source at a pinned commit and runs it,
# with the Redis, RabbitMQ and PostgreSQL it needs from the distribution's
# packages, on this machine. Not part of CI.
#
#   bench/peer/outpost.sh build   # source at $OUTPOST_COMMIT -> $PEER_DIR/bin
#   bench/peer/outpost.sh start   # PostgreSQL, Redis, RabbitMQ, then Outpost
#   bench/peer/outpost.sh env     # the URLs the driver takes, as shell lines
#   bench/peer/outpost.sh stop    # stops what start started (by pid)
#
# Outpost needs a message queue for deliveries and logs: RabbitMQ, SQS,
# Pub/Sub or Service Bus (its in-memory queue is not reachable from its
# configuration), so RabbitMQ it is. It runs as its own load test runs it
# (loadtest/infra/local/kubernetes/values/outpost/small.yaml): three
# services, api, delivery and log, each with a concurrency of 100.
#
# Everything lives under $PEER_DIR (default /tmp/outpost-peer) on ports of
# its own, so that it neither needs nor disturbs system services.
set -euo pipefail

OUTPOST_COMMIT="${OUTPOST_COMMIT:-f67ae011b287ff2588cb06699d808a69bba6ab4d}" # v1.2.0 + 2026-08-20
OUTPOST_REPO="${OUTPOST_REPO:-https://github.com/hookdeck/outpost}"
PEER_DIR="${PEER_DIR:-/tmp/outpost-peer}"
# A bare clone of Outpost; cloned from $OUTPOST_REPO when missing.
OUTPOST_GIT_DIR="${OUTPOST_GIT_DIR:-$PEER_DIR/outpost.git}"
PG_PORT="${PG_PORT:-25432}"
REDIS_PORT="${REDIS_PORT:-26379}"
AMQP_PORT="${AMQP_PORT:-25672}"
API_PORT="${API_PORT:-23333}"
API_KEY="${API_KEY:-peer-bench-key}"
CONCURRENCY="${OUTPOST_CONCURRENCY:-100}"

export PATH="/usr/local/go/bin:$PATH"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
run=$PEER_DIR/run

need_packages() {
  local missing=()
  [ -n "$pgbin" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
}

build() {
  mkdir -p "$PEER_DIR"
  if [ ! -d "$OUTPOST_GIT_DIR" ]; then
    git clone --bare --quiet "$OUTPOST_REPO" "$OUTPOST_GIT_DIR"
  fi
  git --git-dir="$OUTPOST_GIT_DIR" cat-file -e "$OUTPOST_COMMIT^{commit}"
  rm -rf "$PEER_DIR/src" && mkdir -p "$PEER_DIR/src" "$PEER_DIR/bin"
  # Only what the binaries are built from: a mirror may lack blobs elsewhere
  # (examples/sdk-go holds a committed binary; git may complain of it even
  # so), hence the count of the files extracted against the tree's.
  local paths=(go.mod go.sum cmd internal)
  git --git-dir="$OUTPOST_GIT_DIR" archive "$OUTPOST_COMMIT" -- "${paths[@]}" | tar -x -C "$PEER_DIR/src"
  local want got
  want=$(git --git-dir="$OUTPOST_GIT_DIR" ls-tree -r "$OUTPOST_COMMIT" -- "${paths[@]}" | wc -l)
  got=$(cd "$PEER_DIR/src" && find "${paths[@]}" -type f -o -type l | wc -l)
  [ "$want" = "$got" ] || { echo "outpost.sh: extracted $got of $want files" >&2; exit 1; }
  # As its Makefile builds them: the server, and the CLI that migrates.
  (cd "$PEER_DIR/src" &&
    go build -trimpath -tags nomsgpack -o "$PEER_DIR/bin/outpost-server" ./cmd/outpost-server &&
    go build -trimpath -tags nomsgpack -o "$PEER_DIR/bin/outpost" ./cmd/outpost)
  echo "$OUTPOST_COMMIT" >"$PEER_DIR/bin/COMMIT"
  echo "outpost: built $OUTPOST_COMMIT into $PEER_DIR/bin/outpost-server"
}

# wait_for NAME CMD...: retries CMD for up to 60 s.
wait_for() {
  local name=$1; shift
  for _ in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "outpost.sh: $name did not come up; logs in $run" >&2
  exit 1
}

start_postgres() {
  local data=$run/pg
  if [ ! -d "$data" ]; then
    mkdir -p "$data" && chown postgres: "$data" "$run"
    runuser -u postgres -- "$pgbin/initdb" -D "$data" -A trust -U postgres >/dev/null
  fi
  # Durable as shipped (fsync and synchronous_commit on); room for both
  # systems' pools.
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" status >/dev/null ||
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -l "$run/pg.log" -w \
    -o "-p $PG_PORT -k $run -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  for db in outpost outhook; do
    runuser -u postgres -- "$pgbin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qtAc \
      "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
      runuser -u postgres -- "$pgbin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db"
  done
}

start_redis() {
  mkdir -p "$run/redis"
  redis-cli -p "$REDIS_PORT" -a peer --no-auth-warning ping >/dev/null 2>&1 && return
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$run/redis" \
    --requirepass peer --save '' --appendonly no --daemonize yes \
    --pidfile "$run/redis.pid" --logfile "$run/redis.log"
  wait_for redis redis-cli -p "$REDIS_PORT" -a peer --no-auth-warning ping
}

start_rabbitmq() {
  mkdir -p "$run/rabbitmq"
  [ -f "$run/rabbitmq.pid" ] && kill -0 "$(cat "$run/rabbitmq.pid")" 2>/dev/null && return
  export HOME=$run/rabbitmq # its Erlang cookie
  export RABBITMQ_NODENAME=outpostpeer@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$AMQP_PORT RABBITMQ_DIST_PORT=$((AMQP_PORT + 1))
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_MNESIA_BASE=$run/rabbitmq/mnesia RABBITMQ_LOG_BASE=$run/rabbitmq/log
  export RABBITMQ_ENABLED_PLUGINS_FILE=$run/rabbitmq/enabled_plugins RABBITMQ_CONFIG_FILE=$run/rabbitmq/rabbitmq
  echo '[].' >"$RABBITMQ_ENABLED_PLUGINS_FILE"
  : >"$RABBITMQ_CONFIG_FILE.conf"
  setsid /usr/lib/rabbitmq/bin/rabbitmq-server >"$run/rabbitmq.out" 2>&1 </dev/null &
  echo $! >"$run/rabbitmq.pid"
  wait_for rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBITMQ_NODENAME" await_startup
}

start_outpost() {
  local bin=$PEER_DIR/bin/outpost-server
  [ -f "$run/outpost-api.pid" ] && kill -0 "$(cat "$run/outpost-api.pid")" 2>/dev/null && return
  [ -x "$bin" ] || { echo "outpost.sh: run '$0 build' first" >&2; exit 1; }
  export API_PORT API_KEY API_JWT_SECRET=peer-bench-jwt AES_ENCRYPTION_SECRET=peer-bench-aes-secret-32-bytes!!
  export REDIS_HOST=127.0.0.1 REDIS_PORT REDIS_PASSWORD=peer REDIS_DATABASE=0
  export POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/outpost?sslmode=disable"
  export RABBITMQ_SERVER_URL="amqp://guest:guest@127.0.0.1:$AMQP_PORT"
  export TOPICS=access_request.created DISABLE_TELEMETRY=true LOG_LEVEL=warn GIN_MODE=release
  export PUBLISH_MAX_CONCURRENCY=$CONCURRENCY DELIVERY_MAX_CONCURRENCY=$CONCURRENCY LOG_MAX_CONCURRENCY=$CONCURRENCY
  # The server refuses to start with migrations pending (SQL and Redis).
  "$PEER_DIR/bin/outpost" migrate apply --yes >"$run/outpost-migrate.log" 2>&1 ||
    { echo "outpost.sh: migration failed; see $run/outpost-migrate.log" >&2; exit 1; }
  # Every service serves /healthz on API_PORT: each gets a port of its own.
  local port=$API_PORT service
  for service in api delivery log; do
    API_PORT=$port SERVICE=$service setsid "$bin" >"$run/outpost-$service.log" 2>&1 </dev/null &
    echo $! >"$run/outpost-$service.pid"
    port=$((port + 1))
  done
  wait_for "outpost api" curl -fsS "http://127.0.0.1:$API_PORT/healthz"
}

start() {
  need_packages
  mkdir -p "$run"
  start_postgres
  start_redis
  start_rabbitmq
  start_outpost
  echo "outpost: $(cat "$PEER_DIR/bin/COMMIT") up on http://127.0.0.1:$API_PORT"
  env_lines
}

env_lines() {
  echo "export PEER_PG_URL=postgres://postgres@127.0.0.1:$PG_PORT/outhook?sslmode=disable"
  echo "export PEER_OUTPOST_URL=http://127.0.0.1:$API_PORT"
  echo "export PEER_OUTPOST_KEY=$API_KEY"
  echo "export PEER_OUTPOST_COMMIT=$(cat "$PEER_DIR/bin/COMMIT" 2>/dev/null || echo "$OUTPOST_COMMIT")"
}

stop() {
  for service in api delivery log; do
    stop_pid "$run/outpost-$service.pid"
  done
  if [ -f "$run/rabbitmq.pid" ]; then
    HOME=$run/rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl -n outpostpeer@localhost stop >/dev/null 2>&1 || true
    stop_pid "$run/rabbitmq.pid"
    # The Erlang port mapper the broker started, unless another node uses it.
    if command -v epmd >/dev/null && ! epmd -names 2>/dev/null | grep -q '^name '; then
      epmd -kill >/dev/null 2>&1 || true
    fi
  fi
  stop_pid "$run/redis.pid"
  if [ -f "$run/pg/postmaster.pid" ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$run/pg" -m fast stop >/dev/null || true
  fi
}

# stop_pid FILE: ends the process whose id FILE holds, if it still runs.
stop_pid() {
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$1"
}

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  env) env_lines ;;
  *) echo "usage: $0 build|start|stop|env" >&2; exit 2 ;;
esac
