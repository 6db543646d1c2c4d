#!/usr/bin/env bash
# Helpers every benchmark script shares (sourced, not run; no side effects on sourcing):
# tools, free ports, waiting for a server, process sampling, load notes, a static nginx.
BENCH_HELPERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SAMPLER=${SAMPLER:-$BENCH_HELPERS_DIR/sample_proc.py}  # team sampler; writes OUT_JSON.ready

need() { command -v "$1" >/dev/null || { echo "missing tool: $1" >&2; exit 2; }; }

# machine_note: one line describing the machine's load, for the results
machine_note() {
  local cc
  cc=$(pgrep -c cc1plus || true)
  echo "$(date -u +%FT%TZ) nproc=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg) cc1plus=${cc:-0}"
}

# a free loopback port (5 digits, from the ephemeral range, so every URL has the same length)
free_port() {
  python3 -c 'import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if p >= 10000: print(p); break'
}

# wait_http URL [SECS]: until URL answers (any HTTP status), up to SECS (20) seconds
wait_http() {
  local url=$1 secs=${2:-20} i
  for i in $(seq 1 $((secs * 10))); do
    curl -s -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.1
  done
  return 1
}

# wait_arca_listening PID STDOUT STDERR: until the `arca serve` of PID prints its listening line
# to STDOUT (up to 10 s); sets ARCA_URL. Exits the script if the server dies first (STDERR shown)
# or never listens.
wait_arca_listening() {
  local pid=$1 out=$2 err=$3 i
  for i in $(seq 1 1000); do
    if grep -q '^arca: listening on ' "$out" 2>/dev/null; then
      ARCA_URL=$(sed -n 's/^arca: listening on //p' "$out" | head -1)
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "arca exited early:" >&2; cat "$err" >&2; exit 1; }
    sleep 0.01
  done
  echo "arca did not print its listening line within 10 s" >&2
  exit 1
}

# start_sampler PID OUT [INTERVAL]: sample PID into OUT until stop_sampler; returns once sampling
# has begun. Sets SAMPLER_PID.
SAMPLER_PID=
start_sampler() {
  local pid=$1 out=$2 interval=${3:-0.2} i
  rm -f "$out" "$out.ready"
  python3 "$SAMPLER" "$pid" "$out" "$interval" & SAMPLER_PID=$!
  for i in $(seq 1 200); do [[ -f $out.ready ]] && return 0; sleep 0.01; done
}
stop_sampler() {
  [[ -n $SAMPLER_PID ]] || return 0
  kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=
}

# start_static_nginx NGX_DIR PORT ROOT LOCATION_BODY [HTTP_EXTRA]: nginx serving ROOT on
# 127.0.0.1:PORT with the team baseline's settings (sendfile, keep-alive, open-file cache, gzip
# for JSON); `location / { LOCATION_BODY }`; HTTP_EXTRA goes into the http block (e.g. a map).
# Sets NGINX_PID once it answers.
start_static_nginx() {
  local ngx=$1 port=$2 root=$3 location=$4 extra=${5:-}
  mkdir -p "$ngx/tmp"
  cat > "$ngx/nginx.conf" <<CONF
worker_processes ${NGINX_WORKERS:-auto};
daemon off;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $ngx/tmp/body;
  proxy_temp_path $ngx/tmp/proxy;
  fastcgi_temp_path $ngx/tmp/fastcgi;
  uwsgi_temp_path $ngx/tmp/uwsgi;
  scgi_temp_path $ngx/tmp/scgi;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  open_file_cache max=10000 inactive=60s;
  types { application/json json; application/octet-stream tgz; }
  default_type application/octet-stream;
  gzip on;
  gzip_comp_level 6;
  gzip_min_length 1024;
  gzip_types application/json;
$extra
  server {
    listen 127.0.0.1:$port;
    root $root;
    location / { $location }
  }
}
CONF
  nginx -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log" > "$ngx/stdout.log" 2>&1 < /dev/null &
  NGINX_PID=$!
  wait_http "http://127.0.0.1:$port/" 10 || {
    echo "nginx did not start" >&2
    cat "$ngx/stdout.log" "$ngx/error.log" >&2
    exit 1
  }
}
