#!/usr/bin/env bash
# Installs the packed library, as a user would from a tarball, into a scratch app on the oldest
# aws-cdk-lib it supports (the peer dependency's floor), and synthesizes every example there with
# cdk-nag and CloudFormation's template validator on. Prints one line per example.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
floor="${CDK_FLOOR:-$(node -p "require('$root/package.json').peerDependencies['aws-cdk-lib'].replace(/^[\^~]/, '')")}"
constructs="$(node -p "require('$root/package.json').peerDependencies.constructs.replace(/^[\^~]/, '')")"
nag="$(node -p "require('$root/package.json').devDependencies['cdk-nag']")"
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
npm install --silent --no-audit --no-fund "aws-cdk-lib@$floor" "constructs@$constructs" "cdk-nag@$nag" "$tarball" >/dev/null 2>&1 \
  || npm install --no-audit --no-fund "aws-cdk-lib@$floor" "constructs@$constructs" "cdk-nag@$nag" "$tarball"
echo "aws-cdk-lib $(node -p "require('aws-cdk-lib/package.json').version"), constructs $(node -p "require('constructs/package.json').version")"
cp -r "$root/examples" "$root/bin" .
cp "$root/scripts/floor-synth.ts" .
status=0
for entry in $(ls examples) bin; do
  if [ "$entry" = bin ]; then file=bin/main.ts; fn=buildMainApp; else file="examples/$entry/app.ts"; fn=build; fi
  if CDK_VALIDATION=true "$root/node_modules/.bin/tsx" floor-synth.ts "$file" "$fn" "$root/cdk.json" >"$work/log" 2>&1; then
    echo "floor $floor: $file synthesizes ($(tail -1 "$work/log"))"
  else
    echo "floor $floor: $file FAILED"; tail -20 "$work/log"; status=1
  fi
done
exit $status
