#!/usr/bin/env bash
# Installs the Debian 12 packages Arca's build and tests need. Idempotent: a fast no-op when all
# packages are present. Only apt packages (and, later, pinned npm tools) are installed here.
set -euo pipefail

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libsqlite3-dev libssl-dev libcurl4-openssl-dev libarchive-dev libpugixml-dev zlib1g-dev
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  wrk curl python3
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The AWS CLI and boto3 drive the end-to-end tests; they are preinstalled on the project's machines.
if ! command -v aws >/dev/null 2>&1; then
  echo "install-deps: aws CLI not found; end-to-end tests that need it will be skipped" >&2
fi
bash "$(dirname "${BASH_SOURCE[0]}")/install-npm-tools.sh" || echo "install-deps: pinned npm client tools not installed; the npm end-to-end tests will be skipped" >&2
