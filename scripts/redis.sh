# scripts/redis.sh is sourced by scripts/test and scripts/run: it installs
# redis-server when missing (with apt-get, as root), starts throw-away
# servers on free local ports and removes them, and their data, on exit.
# Callers use need_redis, start_redis [ARGS...] (sets port), wait_for,
# cluster_ok and die; a caller's own child may be put in gopid to be
# stopped first.

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shakwa.XXXXXX")
pids=()

cleanup() {
	local pid
	[[ -n ${gopid:-} ]] && { kill "$gopid" 2>/dev/null || true; }
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "$(basename "$0"): $*" >&2
	local log
	for log in "$tmp"/*/redis.log; do
		[[ -s $log ]] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
	done
	exit 1
}

need_redis() {
	if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
		return
	fi
	if [[ $(id -u) -ne 0 ]]; then
		die "redis-server not found; install it (Debian: sudo apt-get install -y redis-server) and run again"
	fi
	echo "$(basename "$0"): installing redis-server" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
	command -v redis-server >/dev/null || die "redis-server still missing after apt-get install"
}

# pick_port sets port to a local TCP port that nobody seems to listen on
# and that this run has not used yet; the cluster bus (port+10000) must be
# free as well.
used=" "
pick_port() {
	for _ in $(seq 200); do
		port=$((20000 + RANDOM % 35000))
		[[ $used == *" $port "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null &&
			! (exec 3<>"/dev/tcp/127.0.0.1/$((port + 10000))") 2>/dev/null; then
			used+="$port "
			return
		fi
	done
	die "no free port found"
}

# start_redis [ARGS...] starts a throw-away redis-server on a free port and
# sets port to it. Another process may take the port between the check
# and the bind, so it tries again on another port when the server dies.
start_redis() {
	local pid dir
	for _ in 1 2 3 4 5; do
		pick_port
		dir="$tmp/$port"
		mkdir -p "$dir"
		redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
			--save '' --appendonly no --daemonize no --logfile "$dir/redis.log" "$@" &
		pid=$!
		pids+=("$pid")
		for _ in $(seq 100); do
			ours "$port" "$pid" && return
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
	done
	die "redis-server did not start"
}

# ours PORT PID: the server on PORT answers and is PID, not someone else's.
ours() {
	kill -0 "$2" 2>/dev/null &&
		[[ $(redis-cli -p "$1" info server 2>/dev/null | tr -d '\r' | grep '^process_id:') == "process_id:$2" ]]
}

# wait_for CMD... retries CMD for up to 10 seconds.
wait_for() {
	for _ in $(seq 100); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

cluster_ok() {
	local port
	for port in "$@"; do
		redis-cli -p "$port" cluster info | grep -q '^cluster_state:ok' || return 1
	done
}

