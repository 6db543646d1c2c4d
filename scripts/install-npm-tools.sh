#!/usr/bin/env bash
# Installs the pinned npm-family client tools that the end-to-end tests drive (tests/e2e/test_npm*.py)
# into the project-local folder .tools/ (gitignored):
#   yarn 1.22.22, @yarnpkg/cli-dist 4.18.1 (yarn 4), pnpm 10.34.9 and verdaccio 6.8.0
#   (verdaccio needs the node-fetch 2.7.0 override; it is an npm stand-in for a later issue).
# The versions are pinned in .tools-manifest/package.json and its package-lock.json (written without
# "resolved" URLs, so npm fetches from whatever registry npm is configured with), and installed with
# `npm ci`, so every machine gets the same tree. Idempotent: a fast no-op when .tools/ already holds
# exactly this manifest. Tests skip loudly when a tool is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MANIFEST="$ROOT/.tools-manifest"
TOOLS="$ROOT/.tools"
STAMP="$TOOLS/.installed-manifest.sha256"
BINS=(
  node_modules/yarn/bin/yarn.js
  node_modules/@yarnpkg/cli-dist/bin/yarn.js
  node_modules/pnpm/bin/pnpm.cjs
  node_modules/verdaccio/bin/verdaccio
)

if ! command -v npm >/dev/null 2>&1; then
  echo "install-npm-tools: npm not found; the npm end-to-end tests will be skipped" >&2
  exit 1
fi

want=$(cat "$MANIFEST/package.json" "$MANIFEST/package-lock.json" | sha256sum | cut -d' ' -f1)
present=1
for b in "${BINS[@]}"; do [ -f "$TOOLS/$b" ] || present=0; done
if [ "$present" = 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi

echo "install-npm-tools: installing pinned client tools into .tools/"
mkdir -p "$TOOLS"
rm -f "$STAMP"
cp "$MANIFEST/package.json" "$MANIFEST/package-lock.json" "$TOOLS/"
# --ignore-scripts: none of these tools needs an install script (yarn 1's preinstall only removes
# old global shims). The user's ~/.npmrc and cache are left alone apart from npm's cache.
(
  cd "$TOOLS"
  npm ci --no-audit --no-fund --ignore-scripts --omit-lockfile-registry-resolved \
    --update-notifier=false --loglevel=error
)
for b in "${BINS[@]}"; do
  [ -f "$TOOLS/$b" ] || { echo "install-npm-tools: $b missing after npm ci" >&2; exit 1; }
done
echo "$want" > "$STAMP"
echo "install-npm-tools: done (yarn $(node "$TOOLS/node_modules/yarn/bin/yarn.js" --version)," \
  "yarn $(cd "$TOOLS" && node "$TOOLS/node_modules/@yarnpkg/cli-dist/bin/yarn.js" --version 2>/dev/null || echo '?')," \
  "pnpm $(node "$TOOLS/node_modules/pnpm/bin/pnpm.cjs" --version))"
