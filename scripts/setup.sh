#!/usr/bin/env bash
# Installs what Vigil needs on Debian 12 with Node 20 (as root) and builds it. Safe to run again: it only acts
# on what is missing or stale. Used by `npm start`, `npm test` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then echo "setup: Node.js 20 or newer is required (found $(node -v))" >&2; exit 1; fi

# System packages: auditd and bpftrace (telemetry), nftables (isolation), PostgreSQL 15 (benchmark baseline), chromium
# (console tests), libevtx-utils and python3-evtx (EVTX reference parsers), yara (cross-check), build tools, ping and curl (used by end-to-end tests)
# (isolation tests).
apt_packages=(auditd postgresql python3 make g++ iproute2 ca-certificates nftables bpftrace chromium libevtx-utils python3-evtx yara acl e2fsprogs iputils-ping curl)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "setup: run as root to install: ${missing[*]}" >&2; exit 1; fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The auditd package's postinst may try to start the daemon; without systemd that can fail harmlessly.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Vigil's agent starts auditd itself when it needs it; a daemon left running by the package install is stopped
# only if it runs with no rules and no one asked for it (first install on a machine without systemd).

# npm dependencies: reinstall only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
node -e 'require("better-sqlite3")' 2>/dev/null || { echo "setup: building better-sqlite3" >&2; npm rebuild better-sqlite3 --loglevel=error; }

echo "setup: building" >&2
npx tsc -b
# The console (React, built by Vite into apps/console/dist): only when a source is newer than the last build.
console_stamp=apps/console/dist/index.html
if [ ! -f "$console_stamp" ] || [ ! -d apps/console/dist/test ] || [ -n "$(find apps/console/src apps/console/public apps/console/index.html apps/console/vite.config.mjs apps/console/package.json apps/console/tsconfig.json apps/console/tsconfig.test.json -newer "$console_stamp" -print -quit)" ]; then
  echo "setup: building the console" >&2
  npm run build --silent -w @vigil/console
fi
