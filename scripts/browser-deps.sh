#!/usr/bin/env bash
# Installs what the headless-browser web test needs, idempotently:
#   - Debian's `chromium` (only if /usr/bin/chromium is missing; needs root or sudo),
#   - the npm packages pinned in tests/browser/package-lock.json (playwright-core, axe-core)
#     into tests/browser/node_modules (kept between runs).
# Playwright's own browser download is never used: the test drives /usr/bin/chromium.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"

if [ ! -x /usr/bin/chromium ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "installing chromium with apt-get"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium
else
    echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
fi

cd "$root/tests/browser"
if [ -d node_modules/playwright-core ] && [ -f node_modules/axe-core/axe.min.js ] \
    && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    echo "npm packages present in tests/browser/node_modules"
else
    echo "installing npm packages into tests/browser/node_modules"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
