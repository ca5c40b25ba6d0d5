#!/usr/bin/env bash
# Installs the packed library, as a user would from a tarball, into a scratch app on the oldest
# aws-cdk-lib it supports (the peer dependency's floor; CDK_FLOOR=<version> tries another), and
# synthesizes every example there with cdk-nag and CloudFormation's template validator on.
# Usage: scripts/floor-check.sh [tarball]   (without one, it runs npm pack). Prints one line per example.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
peer() { node -p "require('$root/package.json').$1.replace(/^[\^~]/, '')"; }
floor="${CDK_FLOOR:-$(peer "peerDependencies['aws-cdk-lib']")}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

tarball="${1:-}"
if [ -z "$tarball" ]; then
  (cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
  tarball="$(ls "$work"/cdk-microservice-*.tgz)"
fi
mkdir -p "$work/app"
cd "$work/app"
printf '{ "name": "floor-app", "private": true }\n' > package.json
if ! npm install --no-audit --no-fund "aws-cdk-lib@$floor" "constructs@$(peer peerDependencies.constructs)" \
  "cdk-nag@$(peer "devDependencies['cdk-nag']")" "$tarball" >"$work/install.log" 2>&1; then
  tail -30 "$work/install.log"; exit 1
fi
echo "aws-cdk-lib $(node -p "require('aws-cdk-lib/package.json').version"), constructs $(node -p "require('constructs/package.json').version")"
cp -r "$root/examples" "$root/bin" "$root/scripts/floor-synth.ts" .
status=0
synth() { # <file> <build function>
  if CDK_VALIDATION=true "$root/node_modules/.bin/tsx" floor-synth.ts "$1" "$2" "$root/cdk.json" >"$work/log" 2>&1; then
    echo "floor $floor: $1 synthesizes ($(tail -1 "$work/log"))"
  else
    echo "floor $floor: $1 FAILED"; tail -20 "$work/log"; status=1
  fi
}
# Each example is an app.ts, or a folder of apps (examples/multi-repo: one per repository; those
# that join by name synthesize as a first `cdk synth` does, before the CLI's lookups).
for app in examples/*/app.ts examples/multi-repo/*.ts; do synth "$app" build; done
synth bin/main.ts buildMainApp
exit $status
