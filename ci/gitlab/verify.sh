#!/bin/sh
# The GitLab CI job of ci/gitlab/mcp-orchestration.yml: verifies every commit
# of a merge request or push with "verify --ci", which reads the range from
# GitLab's variables (src/app/ci_range.ts: CI_MERGE_REQUEST_DIFF_BASE_SHA..
# CI_MERGE_REQUEST_SOURCE_BRANCH_SHA, CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA, or
# origin/$CI_DEFAULT_BRANCH..CI_COMMIT_SHA for a new branch), the same logic
# as the GitHub Action's. Exits as the tool does: 0 all verified, 1 a commit
# failed, 2 no range (a shallow clone, a pipeline that names no commits).
#
# Runs in the project's checkout (GitLab's CI_PROJECT_DIR), from the tool's
# own clone (this file's ../..), outside the project: the project may be a
# merge request, and nothing it holds decides which tool or Deno runs. Deno
# is the one on PATH outside the project, else Deno 2.9.6 installed from npm
# by runtime/deno.sh, pinned by runtime/package-lock.json, into the tool's
# clone. tests/ci/gitlab_template_test.ts runs this script and the template.
set -u

root=$(CDPATH='' cd -P -- "$(dirname -- "$0")/../.." && pwd -P) || exit 2

mcp_runtime_dir=$root/runtime
# shellcheck source=runtime/deno.sh
. "$root/runtime/deno.sh"
mcp_trusted_path
if ! mcp_find_deno "$root/runtime"; then
  printf 'mcp-orchestration: %s\n' "$mcp_deno_error" >&2
  exit 2
fi

if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
  echo 'mcp-orchestration: this clone is shallow, so the commits to verify are not all there: set GIT_DEPTH: "0" for the job' >&2
  exit 2
fi

# The base the range is judged against: a merge request's target branch, or
# for a new branch the default branch, as origin/<name> (GitLab fetches only
# the pipeline's own ref). A failed fetch is reported by verify itself (the
# base is then unknown: exit 2).
fetch_branch() {
  case $1 in "" | -* | *..* | *[!A-Za-z0-9._/-]*) return 0 ;; esac
  git fetch --quiet --no-tags origin "+refs/heads/$1:refs/remotes/origin/$1" ||
    printf 'mcp-orchestration: cannot fetch the branch "%s"\n' "$1" >&2
}
if [ "${CI_PIPELINE_SOURCE-}" = merge_request_event ]; then
  fetch_branch "${CI_MERGE_REQUEST_TARGET_BRANCH_NAME-}"
else
  fetch_branch "${CI_DEFAULT_BRANCH-}"
fi

exec "$mcp_deno" run --quiet --allow-read --allow-write --allow-run=git \
  --allow-env=HOME,MCP_ORCHESTRATION_HOME,MCP_ORCHESTRATION_KEY,MCP_ORCHESTRATION_AGENT,MCP_ORCHESTRATION_PASSPHRASE_FILE,SSH_AUTH_SOCK,GITHUB_ACTIONS,GITEA_ACTIONS,FORGEJO_ACTIONS,GITHUB_EVENT_NAME,GITHUB_EVENT_PATH,GITHUB_SHA,GITLAB_CI,CI_PIPELINE_SOURCE,CI_COMMIT_SHA,CI_COMMIT_BEFORE_SHA,CI_COMMIT_BRANCH,CI_DEFAULT_BRANCH,CI_MERGE_REQUEST_DIFF_BASE_SHA,CI_MERGE_REQUEST_SOURCE_BRANCH_SHA,BITBUCKET_BUILD_NUMBER,BITBUCKET_COMMIT,BITBUCKET_PR_ID,BITBUCKET_PR_DESTINATION_COMMIT,JENKINS_URL,GIT_COMMIT,GIT_PREVIOUS_SUCCESSFUL_COMMIT,CHANGE_ID,CHANGE_TARGET \
  "$root/main.ts" verify --ci
