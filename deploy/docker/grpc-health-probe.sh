#!/bin/sh
# grpc-health-probe PORT [--live]: asks this container's own gRPC server for
# grpc.health.v1.Health/Check over mTLS and exits 0 when it answers SERVING (with --live, also
# when it answers NOT_SERVING: the process is alive and draining). For Kubernetes exec probes and
# compose health checks, which cannot speak mTLS themselves (kubelet's grpc probe has no TLS at
# all, let alone a client certificate).
#
# It presents the process's own identity, $CERTS_DIR/$PROBE_IDENTITY.{crt,key} (any mesh
# principal may call Health), and verifies the server against $CERTS_DIR/ca.crt under the name
# ${PROBE_SERVER_NAME:-localhost}, which mesh service certificates carry as a DNS SAN (SPEC §4),
# while connecting to 127.0.0.1. curl speaks HTTP/2 with the gRPC framing: a 5-byte prefix and an
# empty HealthCheckRequest in, 0x08 0x01 (status: SERVING) out.
set -eu

port="${1:?usage: grpc-health-probe PORT [--live]}"
mode="${2:-}"
certs="${CERTS_DIR:?CERTS_DIR is not set}"
identity="${PROBE_IDENTITY:?PROBE_IDENTITY is not set (the service name: account, ledger, payment)}"
name="${PROBE_SERVER_NAME:-localhost}"

headers="$(mktemp)"
trap 'rm -f "$headers"' EXIT

body="$(printf '\000\000\000\000\000' |
  curl --silent --show-error --http2 --max-time "${PROBE_TIMEOUT_SECONDS:-3}" \
    --cacert "$certs/ca.crt" --cert "$certs/$identity.crt" --key "$certs/$identity.key" \
    --resolve "$name:$port:127.0.0.1" \
    --header 'content-type: application/grpc' --header 'te: trailers' \
    --data-binary @- --dump-header "$headers" --output - \
    "https://$name:$port/grpc.health.v1.Health/Check" | od -An -tx1 | tr -d ' \n')"

if ! grep -qi '^grpc-status: *0' "$headers"; then
  echo "health check failed: $(grep -i '^grpc-\(status\|message\)' "$headers" | tr -d '\r' | tr '\n' ' ')" >&2
  exit 1
fi
case "$body" in
  00000000020801) exit 0 ;;
  00000000020802) [ "$mode" = "--live" ] && exit 0 ;;
esac
echo "not serving (response $body)" >&2
exit 1
