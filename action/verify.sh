#!/bin/sh
# The GitHub Action's one step (action.yml): verifies every commit of a pull
# request or push with "verify --range A..B --format github", so that each
# failure shows as an annotation on its file, and exits as the tool does
# (0 all verified, 1 a failure, 2 usage error: no range, a shallow clone).
#
# Reads what GitHub sets: GITHUB_ACTION_PATH (this repository's checkout),
# GITHUB_EVENT_NAME, GITHUB_EVENT_PATH and GITHUB_SHA; INPUT_RANGE is the
# action's "range" input (action.yml passes it). Runs in the repository to
# verify, which needs its history (actions/checkout with fetch-depth: 0).
#
# The tool runs from the action's own checkout, with the least privileges of
# src/permissions.ts (tests/dist/github_action_test.ts checks the flags),
# under a Deno that never comes from the repository being verified (a pull
# request could ship its own): the deno on PATH outside that repository, else
# Deno 2.9.6 installed from npm by runtime/deno.sh, pinned by
# runtime/package-lock.json, into $RUNNER_TEMP (GitHub's runners have Node).
set -u

root=${GITHUB_ACTION_PATH:?"GITHUB_ACTION_PATH must name the action's checkout"}

mcp_runtime_dir=$root/runtime
# shellcheck source=runtime/deno.sh
. "$root/runtime/deno.sh"
mcp_trusted_path
# $RUNNER_TEMP is the job's own, outside the workspace; the action's checkout
# serves where it is not set.
installs=$root/runtime
[ -z "${RUNNER_TEMP-}" ] || installs=$RUNNER_TEMP/mcp-orchestration
if ! mcp_find_deno "$installs"; then
  printf '::error title=mcp-orchestration::%s\n' "$mcp_deno_error"
  exit 2
fi

run_deno() {
  "$mcp_deno" "$@"
}

range=${INPUT_RANGE-}
if [ -z "$range" ]; then
  # Prints the range, or an ::error annotation saying why there is none.
  if ! range=$(run_deno run --quiet "$root/action/event_range.ts" \
    "${GITHUB_EVENT_NAME-}" "${GITHUB_SHA-}" <"${GITHUB_EVENT_PATH:-/dev/null}"); then
    printf '%s\n' "${range:-::error title=mcp-orchestration::Cannot start Deno to read the event}"
    exit 2
  fi
fi

if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
  echo '::error title=mcp-orchestration::This clone is shallow, so the commits to verify are not all there: check out with actions/checkout and "fetch-depth: 0"'
  exit 2
fi

printf 'mcp-orchestration: verifying the commits %s\n' "$range"
run_deno run --quiet --allow-read --allow-write --allow-run=git \
  --allow-env=HOME,MCP_ORCHESTRATION_HOME,MCP_ORCHESTRATION_KEY,MCP_ORCHESTRATION_AGENT,MCP_ORCHESTRATION_PASSPHRASE_FILE,SSH_AUTH_SOCK \
  "$root/main.ts" verify --range "$range" --format github
