#!/usr/bin/env bash
# A local 3-master Redis Cluster on loopback for `make test-cluster`:
#   scripts/redis-cluster.sh start   prints the nodes (host:port,host:port,host:port)
#   scripts/redis-cluster.sh stop    shuts them down and removes their folder
# Ports: BOT_TEST_CLUSTER_PORTS (default 7101 7102 7103); data in a temporary folder.
set -euo pipefail
read -r -a ports <<< "${BOT_TEST_CLUSTER_PORTS:-7101 7102 7103}"
state="${TMPDIR:-/tmp}/bot-redis-cluster-${ports[0]}"
case "${1:-}" in
start)
    command -v redis-server >/dev/null || { echo "redis-server not found" >&2; exit 1; }
    rm -rf "$state" && mkdir -p "$state"
    nodes=()
    for port in "${ports[@]}"; do
        mkdir -p "$state/$port"
        redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
            --cluster-config-file "$state/$port/nodes.conf" --cluster-node-timeout 2000 \
            --save "" --appendonly no --dir "$state/$port" --logfile "$state/$port/redis.log" >&2
        nodes+=("127.0.0.1:$port")
    done
    for port in "${ports[@]}"; do
        for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >&2
    for _ in $(seq 100); do
        redis-cli -p "${ports[0]}" cluster info | grep -q 'cluster_state:ok' && break
        sleep 0.1
    done
    (IFS=,; echo "${nodes[*]}")
    ;;
stop)
    for port in "${ports[@]}"; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
    rm -rf "$state"
    ;;
*)
    echo "usage: $0 start|stop" >&2; exit 2
    ;;
esac
