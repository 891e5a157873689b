# shellcheck shell=sh
# Finds the Deno that action/verify.sh and hooks/pre-commit-framework run the
# tool under, without taking anything from the repository they check: that
# repository may be a pull request, and whatever it could put in the place of
# Deno would decide what "verified" means. Sourced (". runtime/deno.sh"),
# POSIX sh; every name it defines starts with "mcp_".
#
#   mcp_trusted_path             drops from PATH (and exports) every entry
#                                that is empty or relative (both name the
#                                current folder, which is the repository) or
#                                inside the repository being checked, such as
#                                its node_modules/.bin. Call it first: it also
#                                decides which programs the tool starts (git).
#   mcp_find_deno DIR            sets mcp_deno to the deno to run: the one on
#                                PATH, else the one installed under DIR,
#                                installing it there first. On failure it
#                                returns non-zero with mcp_deno_error set.
#
# The install is Deno 2.9.6 from npm, exactly as this folder's package.json
# and package-lock.json say: the lock file holds the sha512 integrity of the
# "deno" package and of each platform's binary package, and "npm ci" refuses
# a download that does not match. npm runs in a fresh folder under DIR, with
# --prefix on that folder, so the project .npmrc it reads is that folder's
# (none), never the checked repository's; the user's and the global npmrc
# (a mirror, a proxy, a cache) still apply. npm_config_* variables are
# dropped from its environment: "npm run" and "npm exec" in the checked
# repository export that repository's .npmrc through them, user config file
# included. --ignore-scripts: nothing from the packages runs at install; the
# binary is taken straight from the platform package npm chose, and must
# print its version before the install counts.
#
# Installs are atomic and safe to run at once: each happens in its own
# temporary folder beside the final one, and becomes "DIR/deno-2.9.6" by one
# rename(2), which fails if another install got there first (that one is
# used, this one removed). A folder of that name is therefore always a
# finished install; an interrupted one leaves only a ".deno-2.9.6.*" folder,
# which nothing uses.

# shellcheck disable=SC2034 # mcp_deno and mcp_deno_error are for the sourcing script.
mcp_deno_version=2.9.6
# This file's folder, where package.json and package-lock.json are: the
# sourcing script sets it (sh cannot tell a sourced file's own path).
mcp_runtime_dir=${mcp_runtime_dir:?"set mcp_runtime_dir to the runtime folder before sourcing runtime/deno.sh"}
mcp_deno=
mcp_deno_error=
mcp_tree_cwd=
mcp_tree_top=
mcp_tree_workspace=

# Prints the absolute, symlink-free path of the folder $1, or fails.
mcp_real_dir() {
  (CDPATH='' cd -P -- "$1" 2>/dev/null && pwd -P)
}

# Succeeds when the resolved path $1 is one of the trees the checked
# repository supplies, or inside one. A tree "/" holds everything.
mcp_inside_checked() {
  for mcp_tree in "$mcp_tree_cwd" "$mcp_tree_top" "$mcp_tree_workspace"; do
    [ -n "$mcp_tree" ] || continue
    case $1 in "${mcp_tree%/}" | "${mcp_tree%/}"/*) return 0 ;; esac
  done
  return 1
}

# Sets PATH to its entries that are absolute, exist and lie outside the
# checked trees, in their order ("/dev/null", which holds nothing, if none
# is left: an empty PATH would mean the current folder again).
mcp_filter_path() {
  mcp_rest=${PATH-}:
  mcp_kept=
  while [ -n "$mcp_rest" ]; do
    mcp_entry=${mcp_rest%%:*}
    mcp_rest=${mcp_rest#*:}
    case $mcp_entry in /*) ;; *) continue ;; esac
    mcp_real=$(mcp_real_dir "$mcp_entry") || continue
    mcp_inside_checked "$mcp_real" && continue
    mcp_kept=${mcp_kept:+$mcp_kept:}$mcp_entry
  done
  PATH=${mcp_kept:-/dev/null}
  export PATH
}

# The checked trees: the current folder (git runs hooks, and GitHub runs the
# step, at the repository's root), the Action's workspace, and the Git work
# tree around the current folder, which git (found on the PATH already
# filtered) tells; then PATH without them.
mcp_trusted_path() {
  mcp_tree_cwd=$(pwd -P)
  if [ -n "${GITHUB_WORKSPACE-}" ]; then
    mcp_tree_workspace=$(mcp_real_dir "$GITHUB_WORKSPACE") ||
      mcp_tree_workspace=$GITHUB_WORKSPACE
  fi
  mcp_filter_path
  if mcp_top=$(git rev-parse --show-toplevel 2>/dev/null) && [ -n "$mcp_top" ]; then
    mcp_tree_top=$(mcp_real_dir "$mcp_top") || mcp_tree_top=$mcp_top
    [ "$mcp_tree_top" = "$mcp_tree_cwd" ] || mcp_filter_path
  fi
}

# Prints the one deno binary of the platform package that npm installed
# under $1 (node_modules/@deno/<platform>/deno); fails if there is none or
# more than one.
mcp_installed_binary() {
  mcp_found=
  for mcp_exe in "$1"/node_modules/@deno/*/deno "$1"/node_modules/@deno/*/deno.exe; do
    if [ -f "$mcp_exe" ] && [ -x "$mcp_exe" ]; then
      [ -z "$mcp_found" ] || return 1
      mcp_found=$mcp_exe
    fi
  done
  [ -n "$mcp_found" ] && printf '%s\n' "$mcp_found"
}

# Runs "$@" with no npm_config_* variable in its environment (any case: npm
# reads them so). Through env -u, which also removes names sh cannot unset.
mcp_without_npm_config() {
  (
    set -f
    # shellcheck disable=SC2046 # one "-u NAME" pair per variable.
    exec env $(env | sed -n 's/^\([Nn][Pp][Mm]_[Cc][Oo][Nn][Ff][Ii][Gg]_[^=]*\)=.*/-u \1/p') "$@"
  )
}

# Installs Deno into $1/deno-<version> unless it is there. Output on stderr.
mcp_install_deno() {
  mcp_final=$1/deno-$mcp_deno_version
  (
    mcp_tmp=$(mktemp -d "$1/.deno-$mcp_deno_version.XXXXXX") || exit 1
    trap 'rm -rf -- "$mcp_tmp"' EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
    cp -- "$mcp_runtime_dir/package.json" "$mcp_runtime_dir/package-lock.json" "$mcp_tmp/" &&
      cd -- "$mcp_tmp" &&
      mcp_without_npm_config npm ci --prefix "$mcp_tmp" --ignore-scripts \
        --include=optional --no-audit --no-fund --no-update-notifier \
        --loglevel=error </dev/null >&2 || exit 1
    mcp_exe=$(mcp_installed_binary "$mcp_tmp") || {
      # npm skips an optional package that fails its integrity check.
      echo >&2 "mcp-orchestration: npm installed no single Deno binary for this platform (a platform package whose download did not match package-lock.json is skipped)"
      exit 1
    }
    mcp_said=$("$mcp_exe" --version 2>/dev/null) || mcp_said=
    case $mcp_said in
    "deno $mcp_deno_version "* | "deno $mcp_deno_version") ;;
    *)
      echo >&2 "mcp-orchestration: the installed Deno does not run, or is not $mcp_deno_version: $mcp_said"
      exit 1
      ;;
    esac
    # rename(2), not mv: mv would move into a folder another install made.
    node -e '
      try {
        require("fs").renameSync(process.argv[1], process.argv[2]);
      } catch (e) {
        if (e.code !== "ENOTEMPTY" && e.code !== "EEXIST") throw e;
      }' "$mcp_tmp" "$mcp_final" || exit 1
  )
}

# Sets mcp_deno to the deno to run, installing it under $1 if PATH (as
# mcp_trusted_path left it) has none; on failure returns 1 with
# mcp_deno_error saying why.
mcp_find_deno() {
  mcp_deno_error=
  if mcp_deno=$(command -v deno 2>/dev/null) && [ -n "$mcp_deno" ]; then
    # Its folder is outside the checked trees (mcp_trusted_path); a link
    # from there into them is not.
    mcp_real=$(realpath -- "$mcp_deno" 2>/dev/null) || mcp_real=$mcp_deno
    if ! mcp_inside_checked "$mcp_real"; then
      return 0
    fi
    printf >&2 'mcp-orchestration: not running "%s": it is inside the repository being checked\n' "$mcp_deno"
  fi
  mcp_deno=
  mkdir -p -- "$1" 2>/dev/null
  if ! mcp_base=$(mcp_real_dir "$1"); then
    mcp_deno_error="Cannot create \"$1\" to install Deno $mcp_deno_version into"
    return 1
  fi
  if mcp_inside_checked "$mcp_base"; then
    mcp_deno_error="Cannot install Deno into \"$mcp_base\": it is inside the repository being checked; put deno $mcp_deno_version on PATH"
    return 1
  fi
  if [ ! -d "$mcp_base/deno-$mcp_deno_version" ]; then
    if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
      mcp_deno_error="No deno on PATH, and no Node.js with npm to install Deno $mcp_deno_version from: install one of them"
      return 1
    fi
    printf >&2 'mcp-orchestration: installing Deno %s from npm (package-lock.json) into %s\n' \
      "$mcp_deno_version" "$mcp_base/deno-$mcp_deno_version"
    if ! mcp_install_deno "$mcp_base"; then
      mcp_deno_error="Cannot install Deno $mcp_deno_version from npm into \"$mcp_base\" (npm's messages are above)"
      return 1
    fi
  fi
  if ! mcp_deno=$(mcp_installed_binary "$mcp_base/deno-$mcp_deno_version"); then
    mcp_deno_error="\"$mcp_base/deno-$mcp_deno_version\" holds no single Deno binary: remove that folder to install it again"
    return 1
  fi
}
