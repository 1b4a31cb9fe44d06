#!/usr/bin/env bash
# CI only: stand-ins for the two base images docker-compose.yml builds on, for a machine that
# reaches no image registry. Both come from a debootstrap Debian rootfs: `nats:2.10-alpine` runs
# Debian's nats-server (with wget for the healthcheck), `node:20-bookworm-slim` holds this
# machine's node. Users with a registry pull the real images and never run this.
set -euo pipefail
rootfs="${GONGJI_ROOTFS:-/var/tmp/gongji-rootfs}"
if [ ! -x "$rootfs/usr/sbin/nats-server" ]; then
  echo "compose-images: debootstrap bookworm into $rootfs"
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=wget,nats-server,ca-certificates bookworm "$rootfs" \
    http://deb.debian.org/debian >/dev/null
fi
if ! docker image inspect nats:2.10-alpine >/dev/null 2>&1; then
  tar -C "$rootfs" -c . | docker import \
    --change 'ENTRYPOINT ["/usr/sbin/nats-server"]' - nats:2.10-alpine >/dev/null
  echo "compose-images: nats:2.10-alpine (stand-in: Debian's $(/usr/sbin/chroot "$rootfs" nats-server --version 2>/dev/null || echo nats-server))"
fi
if ! docker image inspect node:20-bookworm-slim >/dev/null 2>&1; then
  node_bin="$(command -v node)"
  install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  tar -C "$rootfs" -c . | docker import --change 'WORKDIR /app' \
    --change 'ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - node:20-bookworm-slim >/dev/null
  echo "compose-images: node:20-bookworm-slim (stand-in: $("$node_bin" --version) from $node_bin)"
fi
