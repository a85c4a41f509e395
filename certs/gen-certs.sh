#!/usr/bin/env bash
# Usage: gen-certs.sh DIR [NAMESPACE]
#
# Writes a development CA (ca.crt, ca.key) and an ECDSA P-256 serving certificate
# (tls.crt, tls.key) for the feast-admission Service into DIR, using openssl only.
# SANs: feast-admission.<ns>.svc, feast-admission.<ns>.svc.cluster.local, localhost,
# 127.0.0.1. NAMESPACE defaults to feast-admission-system.
#
# A CA already in DIR is reused, so running the script again rotates the serving
# certificate (new key, new serial) while the caBundle stays valid. The last line on
# stdout is the base64 caBundle for the webhook configurations.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 DIR [NAMESPACE]" >&2
  exit 2
fi
dir=$1
namespace=${2:-feast-admission-system}
service=feast-admission

mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

if [[ ! -s "$dir/ca.crt" || ! -s "$dir/ca.key" ]]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$work/ca.key" -sha256 -days 3650 \
    -subj "/CN=feast-admission development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$work/ca.crt"
  cp "$work/ca.key" "$dir/ca.key"
  install -m 0644 "$work/ca.crt" "$dir/ca.crt"
fi

cat > "$work/serving.ext" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$service.$namespace.svc, DNS:$service.$namespace.svc.cluster.local, DNS:localhost, IP:127.0.0.1
EXT

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/tls.key" 2>/dev/null
openssl req -new -key "$work/tls.key" -subj "/CN=$service.$namespace.svc" -out "$work/tls.csr"
# A random 127-bit serial: every run, even within one second, gets a new one.
serial=$(openssl rand -hex 16 | sed 's/^./7/')
openssl x509 -req -in "$work/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
  -set_serial "0x$serial" -days 365 -sha256 -extfile "$work/serving.ext" \
  -out "$work/tls.crt" 2>/dev/null

# Replace each file by rename so a reader never sees a half-written file; the server
# refuses the pair until both halves match.
chmod 0644 "$work/tls.crt"
mv -f "$work/tls.key" "$dir/tls.key.new" && mv -f "$dir/tls.key.new" "$dir/tls.key"
mv -f "$work/tls.crt" "$dir/tls.crt.new" && mv -f "$dir/tls.crt.new" "$dir/tls.crt"

echo "wrote $dir/ca.crt, $dir/tls.crt and $dir/tls.key (serial $serial)" >&2
openssl base64 -A -in "$dir/ca.crt"
echo
