#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, combined broker+controller) on 127.0.0.1, from the Apache jars on
# Maven Central — for tests and local runs on machines without a container runtime.
#
#   kafka.sh start    resolve jars (once, cached), format storage (once), start, wait until it answers. No-op if up.
#   kafka.sh stop     stop cleanly (SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT seconds). No-op if down.
#   kafka.sh status   exit 0 and print the address when running, exit 3 when not.
#   kafka.sh logs     follow the broker log.
#   kafka.sh reset    stop and delete this port's data (topics, offsets).
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1), KAFKA_STATE_DIR (infra/kafka/.kafka, git-ignored),
# KAFKA_HEAP (512m), KAFKA_START_TIMEOUT (90), KAFKA_STOP_TIMEOUT (30), JAVA (java on PATH), MVN (mvn on PATH).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-$((port + 1))}
state_dir=${KAFKA_STATE_DIR:-$here/.kafka}
heap=${KAFKA_HEAP:-512m}
start_timeout=${KAFKA_START_TIMEOUT:-90}
stop_timeout=${KAFKA_STOP_TIMEOUT:-30}
java=${JAVA:-java}
mvn=${MVN:-mvn}

# Jars are cached per pom content, so a version bump in pom.xml resolves afresh and an unchanged pom never does.
pom_hash=$(sha256sum "$here/pom.xml" | cut -c1-12)
libs="$state_dir/libs-$pom_hash"
node_dir="$state_dir/broker-$port"
data_dir="$node_dir/data"
pid_file="$node_dir/broker.pid"
log_file="$node_dir/broker.log"
props="$node_dir/server.properties"

say() { printf 'kafka: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_pid() {
  [[ -f $pid_file ]] || return 1
  local pid
  pid=$(<"$pid_file")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: it must be our broker.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka.Kafka' || return 1
  echo "$pid"
}

resolve_jars() {
  [[ -f $libs/.complete ]] && return 0
  command -v "$mvn" >/dev/null || die "Maven is needed to resolve the Kafka jars (install maven, or set MVN)"
  say "resolving Kafka jars from Maven Central into $libs (once)"
  rm -rf "$libs.tmp"
  "$mvn" -B -q -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >&2
  rm -rf "$libs"
  mv "$libs.tmp" "$libs"
  touch "$libs/.complete"
}

write_properties() {
  mkdir -p "$data_dir"
  cat >"$props" <<PROPS
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
log.dirs=$data_dir
num.partitions=3
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
log.segment.bytes=16777216
PROPS
}

format_storage() {
  [[ -f $data_dir/meta.properties ]] && return 0
  local cluster_id=-
  # A base64url id may start with '-', which the storage tool then reads as an option ("--cluster-id: expected one
  # argument"): one start in 64 failed. Kafka's own ids never start with '-'; draw again until this one does not.
  while [[ $cluster_id == -* ]]; do
    cluster_id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  done
  say "formatting storage in $data_dir"
  "$java" -cp "$libs/*" -Dlog4j2.configurationFile="$here/log4j2.properties" \
    kafka.tools.StorageTool format -c "$props" -t "$cluster_id" --standalone -g >>"$log_file" 2>&1 \
    || die "storage format failed, see $log_file"
}

start() {
  local pid
  if pid=$(running_pid); then
    say "already running on 127.0.0.1:$port (pid $pid)"
    echo "127.0.0.1:$port"
    return 0
  fi
  port_open "$port" && die "port $port is taken by another process (set KAFKA_PORT)"
  command -v "$java" >/dev/null || die "Java 17+ is needed to run the broker (or set KAFKA_BROKERS to an existing one)"
  local t0=$SECONDS
  resolve_jars
  mkdir -p "$node_dir"
  write_properties
  format_storage
  : >"$log_file.start"
  # setsid: the broker outlives the shell (and the test runner) that started it, until `stop`.
  setsid "$java" -Xms256m "-Xmx$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.properties" -cp "$libs/*" kafka.Kafka "$props" \
    >>"$log_file" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pid_file"
  local waited=0
  until port_open "$port" && grep -q 'Kafka Server started' "$log_file" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log_file" >&2; rm -f "$pid_file"; die "broker exited during start-up"; }
    ((waited >= start_timeout * 5)) && { tail -n 30 "$log_file" >&2; stop; die "broker not ready after ${start_timeout}s"; }
    sleep 0.2
    waited=$((waited + 1))
  done
  say "started on 127.0.0.1:$port (pid $pid) in $((SECONDS - t0))s; log: $log_file"
  echo "127.0.0.1:$port"
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pid_file"
    say "not running on port $port"
    return 0
  fi
  kill -TERM "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= stop_timeout * 5)); then
      say "no clean stop after ${stop_timeout}s; killing pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  rm -f "$pid_file"
  say "stopped (port $port)"
}

status() {
  local pid
  if pid=$(running_pid) && port_open "$port"; then
    say "running on 127.0.0.1:$port (pid $pid)"
    echo "127.0.0.1:$port"
    return 0
  fi
  say "not running on port $port"
  return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  restart) stop; start ;;
  logs) exec tail -n 100 -F "$log_file" ;;
  reset) stop; rm -rf "$node_dir"; say "deleted $node_dir" ;;
  *) echo "usage: $(basename "$0") start|stop|status|restart|logs|reset" >&2; exit 2 ;;
esac
