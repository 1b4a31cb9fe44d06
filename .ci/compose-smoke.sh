#!/usr/bin/env bash
# CI: the README's compose demo, for real, when a Docker engine can run here. Installs Debian's
# docker.io, docker-compose and debootstrap if missing, starts dockerd if none runs, builds
# stand-in base images (no registry is reachable: .ci/compose-images.sh) and the gongji image
# with the checkout's node_modules (containers cannot reach npm: .ci/Dockerfile), then runs the
# README's command, which returns the check's exit code, and takes everything down again.
set -euo pipefail
cd "$(dirname "$0")/.."
project=gongji-smoke
started_dockerd=""

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  echo "compose smoke: installing with apt-get: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "compose smoke: starting dockerd"
  dockerd >/tmp/gongji-dockerd.log 2>&1 &
  started_dockerd=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  if ! docker info >/dev/null 2>&1; then
    echo "compose smoke: skipped: no Docker engine can run here ($(tail -1 /tmp/gongji-dockerd.log))"
    kill "$started_dockerd" 2>/dev/null || true
    exit 0
  fi
fi

if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
cleanup() {
  "${compose[@]}" -p "$project" down -v --remove-orphans >/dev/null 2>&1 || true
  if [ -n "$started_dockerd" ]; then
    kill "$started_dockerd" 2>/dev/null || true
    wait "$started_dockerd" 2>/dev/null || true
  fi
}
trap cleanup EXIT

bash .ci/compose-images.sh
# The gongji image, as ./Dockerfile makes it but with node_modules from this checkout.
tar -c --exclude=./.git --exclude=./out --exclude=./.dockerignore \
  --exclude=./node_modules/@sparticuz --exclude=./node_modules/playwright-core . |
  docker build -q -f .ci/Dockerfile -t gongji:demo - >/dev/null
rm -f out/compose/result.json out/compose/report.html

# The dashboard's host port: 8080 unless something here holds it already.
if ! node -e "require('net').createServer().once('error', () => process.exit(1))
    .listen(8080, '127.0.0.1', function () { this.close(); })"; then
  GONGJI_DASHBOARD_PORT=$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1',
    () => { console.log(s.address().port); s.close(); })")
  export GONGJI_DASHBOARD_PORT
  echo "compose smoke: 127.0.0.1:8080 is taken here; the dashboard goes to $GONGJI_DASHBOARD_PORT"
fi

started=$(date +%s)
echo "compose smoke: ${compose[*]} run --rm check"
# The README's command: it starts every service the check depends on and returns its exit code.
set +e
"${compose[@]}" -p "$project" run --rm check > out/compose-smoke.log 2>&1
code=$?
set -e
tail -14 out/compose-smoke.log
echo "compose smoke: the check exited $code after $(( $(date +%s) - started )) s"
port="${GONGJI_DASHBOARD_PORT:-8080}"
# The dashboard polls once a second: give it a few to read the check's result.
shown=""
for _ in $(seq 1 15); do
  if node -e "fetch('http://127.0.0.1:$port/state.json').then((r) => r.json()).then((s) =>
      process.exit(s.checkOk === (process.argv[1] === '0') ? 0 : 1), () => process.exit(1))" "$code"; then
    shown=yes
    break
  fi
  sleep 1
done
if [ -n "$shown" ]; then
  echo "compose smoke: the dashboard on 127.0.0.1:$port shows the check's verdict"
else
  echo "compose smoke: the dashboard on 127.0.0.1:$port did not show the check's verdict"
  code=1
fi
if [ ! -s out/compose/report.html ]; then
  echo "compose smoke: no out/compose/report.html"
  code=1
fi
exit "$code"
