/**
 * Help texts: one for the tool and one per command. The prose is kept
 * together here so that it reads as the manual it is; each command's usage
 * line and options come from the spec its parser reads (command_spec.ts),
 * so help cannot leave an option out or list one the command refuses.
 *
 * @module
 */

import {
  RELEASE_SIGNATURE_NAMESPACE,
  TOOL_NAME,
  VERSION,
} from "../constants.ts";
import { VERIFY_CODES } from "../verify/verify_codes.ts";
import {
  type CommandSpec,
  optionsText,
  usageLines,
  usageText,
} from "./command_spec.ts";
import { DIFF_COMMAND } from "./diff_command.ts";
import { EXEC_COMMAND } from "./exec_command.ts";
import {
  HOOK_POST_CHECKOUT_COMMAND,
  HOOK_POST_MERGE_COMMAND,
  HOOK_POST_REWRITE_COMMAND,
  HOOK_PRE_COMMIT_COMMAND,
  HOOK_PRE_PUSH_COMMAND,
  HOOK_PRE_RECEIVE_COMMAND,
  HOOK_UPDATE_COMMAND,
} from "./git_hook_command.ts";
import { INSTALL_COMMAND, UNINSTALL_COMMAND } from "./hooks_command.ts";
import { INIT_COMMAND } from "./init_command.ts";
import { INSPECT_COMMAND } from "./inspect_command.ts";
import { LOG_COMMAND } from "./log_command.ts";
import { MCP_COMMAND } from "./mcp_command.ts";
import {
  KEYS_INIT_COMMAND,
  KEYS_ROTATE_COMMAND,
  KEYS_SHOW_COMMAND,
} from "./keys_command.ts";
import { LINT_COMMAND } from "./lint_command.ts";
import { POLICY_CHECK_COMMAND, POLICY_INIT_COMMAND } from "./policy_command.ts";
import { SIGN_COMMAND } from "./sign_command.ts";
import { APPROVE_COMMAND } from "./approve_command.ts";
import { SIGN_FILE_COMMAND } from "./sign_file_command.ts";
import { STATUS_COMMAND } from "./status_command.ts";
import {
  TRUST_ADD_COMMAND,
  TRUST_LIST_COMMAND,
  TRUST_REMOVE_COMMAND,
  TRUST_REVOKE_COMMAND,
} from "./trust_command.ts";
import { VERIFY_COMMAND } from "./verify_command.ts";

const EXIT_CODES = `Exit codes:
  0  success
  1  verification failed, or the operation was refused or failed (message on stderr)
  2  usage error (unknown command or option, missing argument)`;

/** The tool's own help (`--help`). */
export const TOOL_HELP =
  `${TOOL_NAME} ${VERSION}: signs MCP configuration files and verifies who signed exactly which bytes.

Usage: ${TOOL_NAME} <command> [options]

Commands:
  init          set this repository up: key, trust entry, hooks, signatures
  status        list the MCP configs: signed or not, by whom, trusted or not
  keys init     create your Ed25519 signing key (~/.mcp-orchestration/keys)
  keys show     print your key id and public key
  keys rotate   replace your key; in this repository, trust the new one and
                retire the old one (what it signed before still verifies)
  trust add     trust a public key to sign this repository's configs
  trust list    list trusted keys
  trust remove  stop trusting a key (by key id or principal)
  policy init   write the team policy that states today's rule, to edit
  policy check  check the team policy and what each of its rules decides
  trust revoke  revoke a key: nothing it signed counts any more
  lint          warn of dangers in MCP configs (secrets, unpinned packages,
                shell wrappers, docker escapes, plain http); the policy can block
  sign          sign MCP configs (all recognised configs, or the paths given)
  approve       add your signature to the signed version of each path given
  verify        verify MCP configs against their signatures and the trust list
  inspect       show the signed statement and signature of a config or artifact
  diff          what changed in the MCP configs, server by server, between
                revisions, artifact ids and the working tree
  log           the audit trail: each signed version, its signer and
                approvals, and the trust changes in between, along history
  sign-file     sign release files into FILE.sig, checkable with ssh-keygen
  exec          verify the configs, then run an MCP client: exec -- claude
  mcp           serve this tool to an MCP client (an AI agent) over stdio:
                tools to create a key, sign, approve, verify, show status,
                inspect and diff; it signs only the paths a call names
  install       install the Git hooks: sign on commit, verify on push and
                after checkout, merge and rebase; --server: on the Git
                server, refuse a push that fails
  uninstall     remove the Git hooks and put back the ones that were there

Options:
  -h, --help     show help (also after any command: ${TOOL_NAME} sign --help)
  -V, --version  print the version

Environment:
  MCP_ORCHESTRATION_HOME  the tool's home folder (default ~/.mcp-orchestration)
  MCP_ORCHESTRATION_KEY   private key file to sign with (overridden by --key)
  MCP_ORCHESTRATION_SKIP  set to 1 to skip the installed Git hooks, with a warning

${EXIT_CODES}
`;

/**
 * What each command does, in prose, by its full name: the part of its help
 * between the usage line and the options.
 */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  "lint":
    `Holds the working tree's MCP configs (every config the tool signs, or the
paths given) against the lint rules, server by server in every client format:
secrets written into the config (secret-literal, high-entropy-value),
packages and images run without a pinned version (unpinned-package,
unpinned-image), shell wrappers and downloads piped into a shell
(shell-wrapper, pipe-to-shell), containers that reach the host
(docker-privileged, docker-host-mount), remote servers over plain http
(insecure-http) and commands outside the repository (command-outside-repo).
Each finding names its file, line, server and field, and a fix; a secret is
shown by its prefix only. Findings are warnings (exit 0) unless the policy's
"lint": {"block": [...]} names their rule (exit 1); sign, the pre-commit
hook and verify (LINT_BLOCKED) then refuse the config too.`,
  "keys init":
    `Creates an Ed25519 key pair in $MCP_ORCHESTRATION_HOME/keys (default
~/.mcp-orchestration/keys): signing.key, an unencrypted OpenSSH private key
(mode 0600, folder 0700), and signing.pub. An existing key is never
overwritten.`,
  "keys show":
    `Prints the signing key's id (its OpenSSH SHA256 fingerprint) and public key line.`,
  "trust add":
    `Adds a public key to .mcp-orchestration/allowed_signers (OpenSSH format, with
namespaces="mcp-orchestration"), so configs it signs verify.`,
  "trust list": `Lists the keys in .mcp-orchestration/allowed_signers.`,
  "trust remove":
    `Removes every entry with that key id (SHA256:…) or exact principal.`,
  "policy init":
    `Writes .mcp-orchestration/policy.json stating today's rule explicitly: one
group "trusted" with every literal principal of the trust list, one signature
by any of them for a change of the trust files (allowed_signers, config.json,
policy.json, revoked_keys) and for every config (rule "**"), version 1. Edit
it to require more, then commit it: the pre-commit hook signs it, with a key
the committed trust list trusts. Refuses when the file exists (unless
--force) or there is no trust list; nothing is written then.`,
  "policy check":
    `Reads .mcp-orchestration/policy.json strictly against the working tree's
trust list and reports each problem with its line and field, and each rule
that decides no config in the repository (its pattern matches none, or only
configs an earlier rule decides: first match wins). Prints each rule with its
groups, threshold and the configs it decides. Exits 0 when there is nothing
to fix, 1 otherwise (see docs/FORMAT.md, "Policy").`,
  "trust revoke":
    `Revokes a key (a key id, a .pub file or a key line): records it in
.mcp-orchestration/revoked_keys, which ssh-keygen -Y verify -r and git's
gpg.ssh.revocationFile read too, and removes its allowed_signers lines.
Everything it signed fails REVOKED_KEY, whenever it was signed; it can never
be trusted again, under any principal. Lists the configs to review and sign
again (sign --resign). Refuses a key the repository does not know, one
revoked already, and an empty reason.`,
  "keys rotate":
    `Creates a new key pair (the old private key moves to keys/retired/). In the
current repository, when its trust list trusts the old key, it adds the new
key with the old key's principals, retires the old key (a
"# mcp-orchestration-retired" line) and signs that change with the old key,
which the list trusted before it. The old key's existing signatures still
verify; a new signature by it fails RETIRED_KEY.`,
  "sign":
    `Signs MCP configs: every recognised config in the working tree, or the PATHs
given. Each file must parse in its format, hold its client's server table and
have no duplicate keys; otherwise nothing is written. Recognised files (at any
depth): .mcp.json (mcpServers or servers), .cursor/mcp.json, .vscode/mcp.json
(JSONC), claude_desktop_config.json, .gemini/settings.json (JSONC),
.zed/settings.json (JSONC), .codex/config.toml, mcp_config.json,
cline_mcp_settings.json, .roo/mcp.json, .kiro/settings/mcp.json,
.amazonq/mcp.json, .junie/mcp/mcp.json, .github/mcp.json,
.continue/mcpServers/*.yaml|yml|json, .kilocode/mcp.json,
plus the patterns in .mcp-orchestration/config.json. These settings files count
only while a key names MCP: .claude/settings.json, .claude/settings.local.json,
.vscode/settings.json, .qwen/settings(.local).json, opencode.json(c),
.kiro/agents/*.json, .amazonq/cli-agents/*.json, .amazonq/agents/*.json,
.amazonq/default.json, .qwen/extensions/*/qwen-extension.json (or
gemini-extension.json), .gemini/extensions/*/gemini-extension.json,
.claude-plugin/plugin.json, .claude-plugin/marketplace.json,
.devcontainer/devcontainer.json, .devcontainer/*/devcontainer.json,
.devcontainer.json, .continue/assistants|agents/*.yaml|yml, kilo.json(c),
.crush.json, crush.json; Claude Code's
settings also count with enabledPlugins or extraKnownMarketplaces.
With --resign, signs again (with your key, in one go) every config whose
statement fails only for its key (REVOKED_KEY, RETIRED_KEY, UNTRUSTED_SIGNER,
EXPIRED_KEY) or was made by a retired key; review them first (status lists
them).`,
  "approve":
    `Adds your signature to the current signed statement of each PATH, without
changing the statement: one more SSHSIG signature over its exact bytes, in
.mcp-orchestration/approvals/<statement id>/<key hex>.sig, which
"ssh-keygen -Y verify" checks on its own. This is how a second signer says yes
when the policy needs more than one. Each PATH must verify as it is now (or
wait only for approvals), and your key must be in the trust list; approving
your own statement, or one you approved already, writes nothing for it.
Every PATH is checked before anything is written: all are approved, or none.
Then commit the approvals (git add .mcp-orchestration && git commit).`,
  "sign-file":
    `Signs each FILE with your signing key (the same key as "sign") and writes
FILE.sig next to it: an armored SSHSIG signature, as "ssh-keygen -Y sign"
makes. Files of any size are hashed as a stream. Nothing is written unless
every file could be signed. A user checks a file with:

  ssh-keygen -Y verify -f ALLOWED_SIGNERS -I PRINCIPAL -n ${RELEASE_SIGNATURE_NAMESPACE} -s FILE.sig < FILE`,
  "verify":
    `Verifies every recognised config in the working tree (or the PATHs given)
against its signed statement, its stored artifact, its SSHSIG signature and
the trust list, and the working tree against HEAD as a commit against its
parent: a trust-list change must be signed by a key HEAD trusts (one not
signed yet approves nothing: configs are then checked against HEAD's list),
and no config may go back to an older signed version. With --rev or --range
it verifies commits instead, straight
from Git objects (no checkout): each commit's configs, its trust-list change
(signed by a key trusted before it) and that no config went back to an older
signed version. --range is the check CI runs: the commits a pull request or
push brings (base..head, before..after), or --ci, which reads them from the
CI's variables. A range without commits exits 2 unless --allow-empty.
Any failure exits 1. Failure codes:
${
      Object.entries(VERIFY_CODES).map(([code, text]) =>
        `  ${code.padEnd(17)} ${text}`
      ).join("\n")
    }`,
  "exec":
    `Verifies the MCP configs of the repository it runs in: the working tree as
"verify" does, and the history checked out (rollback, trust-list changes):
every commit of HEAD that the remotes' default branches (refs/remotes/*/HEAD)
lack, as "verify --range" does, else HEAD as "verify --rev HEAD" does. Only
then it runs COMMAND with its ARGS in its place:
standard streams passed through, SIGINT and SIGTERM passed on, COMMAND's exit
status returned (127 when it cannot be started). On any failure COMMAND is not
started: the report names each config, why it fails and what an MCP client
would run from it (each server's command and arguments, or URL), and the exit
status is 1. Everything after COMMAND is COMMAND's own, options included.

  ${TOOL_NAME} exec -- claude
  ${TOOL_NAME} exec -- cursor .
  ${TOOL_NAME} exec -- code .

Under "deno run", exec needs --allow-run (any program) instead of
--allow-run=git; the hooks keep the narrow flags.`,
  "mcp":
    `Serves this tool to an MCP client as an MCP server over standard input and
output (the Model Context Protocol), until the client closes standard input
and each request read has its answer. An MCP client (Claude Code, Cursor, VS Code, …) starts it from its config:

  {"mcpServers": {"${TOOL_NAME}": {"command": "${TOOL_NAME}", "args": ["mcp"]}}}

Its tools run the commands of the same names with --json in the repository
folder (the folder it was started in, or --repo; never a folder inside
.mcp-orchestration/) and return their JSON as
structured results: initialize_keys ("keys init"; an existing key is replaced
only with force: true), sign and approve (the paths named, at least one; there
is no sign-all; not the files in .mcp-orchestration/, which are signed at
the command line), verify (paths, rev or range), status, inspect (path or
artifact), diff, log and lint. A failing command is a tool error with its
code and message. Paths must be relative and stay inside the folder;
revisions must not start with "-".

Signing through the server is signing with your key: an agent that may call
sign or approve attests in your name. Have the client ask you before each
such call (see docs/SECURITY.md, "MCP server"). That client config is itself
an MCP config this tool signs and verifies.`,
  "install":
    `Installs the pre-commit hook (signs the MCP configs being committed), the
pre-push hook (verifies the commits being pushed) and the post-checkout,
post-merge and post-rewrite hooks (verify the working tree after git switch,
checkout, pull, merge and rebase, and report loudly what an MCP client would
run from a config that fails) into the folder Git runs hooks from (git rev-parse --git-path hooks: linked worktrees share it,
core.hooksPath moves it). The hooks call the tool by absolute path, the way
it was started now: this executable, or deno with the same permission flags
and module. A hook already there is moved aside to
<hook>.mcp-orchestration-chained and still runs first, with the same
arguments and input. Installing again changes nothing, or updates our hooks.

When core.hooksPath names a folder that another hook manager (husky,
lefthook, the pre-commit framework) or your own hooks occupy, nothing is
written: the message says how to call the tool from that manager instead.

If the tool is moved or uninstalled, the hooks fail closed and say how to
reinstall. MCP_ORCHESTRATION_SKIP=1 skips them, with a warning.

With --server, in a repository that is pushed to (a bare repository on a Git
server), installs the pre-receive hook instead: it verifies every commit a
push brings before Git updates any ref, and refuses the push when one fails.
It needs no key and no home, and MCP_ORCHESTRATION_SKIP does not skip it.`,
  "uninstall":
    `Removes the hooks that install wrote and puts back the hooks they had moved
aside. A hook that has replaced ours since is left alone, with a warning.
With --server (implied in a bare repository), removes the pre-receive hook.`,
  "init": `Sets this repository up in one step, and says what each step did:
  1. key    uses your signing key: the one given with --key or
            $MCP_ORCHESTRATION_KEY (never created), else
            ~/.mcp-orchestration/keys/signing.key, created when there is none
  2. trust  adds its public key to .mcp-orchestration/allowed_signers, unless
            it is trusted already
  3. hooks  installs the Git hooks (as "install" does)
  4. sign   signs the MCP configs in the working tree, and the trust list
Then it prints the git command that commits the result; from then on the
pre-commit hook signs the configs you commit.

Running it again is safe: the key is kept, no second trust entry is added,
and current hooks and signatures are left as they are. When a step fails,
nothing after it runs; the message names the steps already done, and running
init again after the fix completes the rest.`,
  "status":
    `Lists the MCP configs in the working tree (as verify finds them) with their
client, verification result (ok, UNSIGNED, TAMPERED, …), signer key id and
principals, whether the signer is trusted, when they were last signed and
their sequence; the trust list's own signature; signature-index entries whose
file is gone (tombstones: "deleted, last signed …"); whether the hooks are installed;
and your key id. It changes nothing.

Exits 0 whatever it finds (use "verify" to fail on problems), and 1 only when
the repository cannot be read.`,
  "hook pre-commit":
    `Signs the staged version (the blob in the index) of every MCP config and of
the trust list that the commit changes, and stages the new artifacts,
statements and signature index into the same commit. For each config it
signs, prints one line per server changed since HEAD's version on stderr
("+ name (stdio: command args)", "~ name: args, env.KEY", "- name"), as
"diff --staged" shows them. Prints nothing for a commit that
touches no config. Refuses the commit when there is no key, the key is not
trusted by the repository, or a config does not validate.`,
  "hook pre-push":
    `Reads git's pre-push lines ("<local ref> <local id> <remote ref> <remote id>")
and verifies every commit the remote does not have yet (new branches
included, deletions skipped), as "verify --range" would. Refuses the push
with a per-commit, per-file report when any fails.`,
  "hook post-checkout":
    `Verifies the working tree's MCP configs after git checkout or switch (and a
file checkout, FLAG 0), as "verify" does. Prints nothing when they pass; on any
failure prints a loud report on stderr (each config, the reason, what an MCP
client would run from it) and exits 1, which becomes git's exit status. It
cannot undo the checkout.`,
  "hook post-merge":
    `Verifies the working tree's MCP configs after git merge or pull, as
"hook post-checkout" does. Git ignores its exit status; the report is the
warning.`,
  "hook post-rewrite":
    `Verifies the working tree's MCP configs after git rebase, as
"hook post-checkout" does; after "git commit --amend" (which changes no file)
it does nothing.`,
  "hook pre-receive":
    `On the Git server: reads git's pre-receive lines ("<old id> <new id> <ref>")
and verifies every commit that the push makes reachable from a checked ref
and that the server did not hold (new branches, tags of commits and force
pushes included; a force push is checked against the tip it replaces;
deletions pass). The checked refs are refs/heads/* and refs/tags/*, or the
values of the git config mcp-orchestration.refs. A config still waiting for
approval is refused only on the server's default branch (HEAD). Refuses the
whole push with a per-commit, per-file report on stderr, which the pusher
sees as "remote:" lines. Needs no key and no home; writes nothing.`,
  "hook update":
    `On a Git server that runs only the update hook: checks one ref's update as
"hook pre-receive" does.`,
  "diff":
    `Shows what changed in the MCP configs between two sides, in MCP terms:
per config (added, removed or modified), the servers added (+), removed (-)
and changed (~), and for each change the fields that differ: transport,
command, args (as git diff --word-diff shows words: [-old-]{+new+}), cwd, url,
env and headers (by name; their values may be secrets and are shown only with
--show-values), envFile, enabled, and any other field as JSON; then each
top-level setting outside the servers that changed (a client acts on
enableAllProjectMcpServers, hooks or inputs too). Every client format is read
into the same view, so a change of spelling only (a comment, key order,
another client's format) shows as "no server changed". A version
that does not parse is reported with the parser's line and column, and its
servers are not compared.

  diff              HEAD against the working tree
  diff --staged     HEAD against the index (what the next commit holds)
  diff A            A against the working tree (--staged: the index)
  diff A B          A against B (also "diff A..B")
  diff ... PATH     only these configs ("diff ... -- PATH" when a path could
                    be read as a revision)

A and B are each a revision (anything "git rev-parse --verify A^{commit}"
accepts) or an artifact id (64 lowercase hex digits: the SHA-256 of a signed
config's bytes, as "inspect" shows it), whose bytes come from the store in the
working tree or the newest commit that added them; then only the configs
signed with it are compared (two artifact ids of different paths are compared
with each other). Paths follow the revisions, as in git diff: a word that
names both a revision and a file is refused until "--" separates them. diff
reads and verifies nothing: it shows changes, whoever made them; "verify" says
whether they are signed.
Exits 0 whether or not something differs (with --exit-code: 1 when it does).
See README.md, "Reviewing a change: diff", for the --json shape.`,
  "inspect":
    `Shows the artifact id, path, signer key id and principal, signing time,
sequence, previous artifact, and the exact signed statement and armored
signature, so anyone can check them with sha256sum and ssh-keygen -Y verify
(see docs/FORMAT.md).`,
  "log":
    `Shows the audit trail of the history of HEAD (or --rev REV), read from Git
objects only, newest first: each signed version of each config (artifact,
signer key id and the principals the trust list of that commit gives it,
signing time, sequence, previous artifact, the commit that brought it), each
approval, each config deleted, and the trust-list changes, revocations,
rotations (retired keys) and policy versions in between. Each shows the
verdict "verify --rev" gives its commit: a version that does not verify there
is FAILED with its code, and its signer is only claimed, never given a
principal. With PATHs, only those configs' events (trust changes still show).
Exits 0 whatever it shows (FAILED events too); a revision that names no
commit is a usage error (exit 2); a PATH no commit signed, a trust file given
as a PATH, or a shallow clone is an error (exit 1).`,
};

/**
 * Every command's spec, in the order the tool's help lists them. The
 * parsers read these same objects.
 */
export const COMMAND_SPECS: readonly CommandSpec[] = [
  INIT_COMMAND,
  STATUS_COMMAND,
  KEYS_INIT_COMMAND,
  KEYS_SHOW_COMMAND,
  KEYS_ROTATE_COMMAND,
  TRUST_ADD_COMMAND,
  TRUST_LIST_COMMAND,
  TRUST_REMOVE_COMMAND,
  POLICY_INIT_COMMAND,
  POLICY_CHECK_COMMAND,
  TRUST_REVOKE_COMMAND,
  LINT_COMMAND,
  SIGN_COMMAND,
  APPROVE_COMMAND,
  VERIFY_COMMAND,
  INSPECT_COMMAND,
  DIFF_COMMAND,
  LOG_COMMAND,
  SIGN_FILE_COMMAND,
  EXEC_COMMAND,
  MCP_COMMAND,
  INSTALL_COMMAND,
  UNINSTALL_COMMAND,
  HOOK_PRE_COMMIT_COMMAND,
  HOOK_PRE_PUSH_COMMAND,
  HOOK_POST_CHECKOUT_COMMAND,
  HOOK_POST_MERGE_COMMAND,
  HOOK_POST_REWRITE_COMMAND,
  HOOK_PRE_RECEIVE_COMMAND,
  HOOK_UPDATE_COMMAND,
];

/**
 * The help of one command: usage and options from its spec, the prose
 * from {@linkcode DESCRIPTIONS}.
 */
function commandHelp(spec: CommandSpec): string {
  return `${usageText(spec)}\n${DESCRIPTIONS[spec.name] ?? ""}\n\n${
    optionsText(spec)
  }\n${EXIT_CODES}\n`;
}

/** The help of a group (`keys`, `trust`): each subcommand's usage lines. */
function groupHelp(group: string, subcommands: string): string {
  const lines = COMMAND_SPECS.filter((spec) =>
    spec.name.startsWith(`${group} `)
  ).flatMap((spec) => usageLines(spec).map((line) => `  ${line}\n`));
  return `Usage: ${TOOL_NAME} ${group} <${subcommands}> [options]\n\n${
    lines.join("")
  }`;
}

/** Help for each command, by its full name. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    COMMAND_SPECS.map((spec) => [spec.name, commandHelp(spec)]),
  ),
  "keys": groupHelp("keys", "init|show|rotate"),
  "trust": groupHelp("trust", "add|list|remove|revoke"),
  "policy": groupHelp("policy", "init|check"),
  "hook": `Usage: ${TOOL_NAME} hook <pre-commit | pre-push REMOTE URL |
         post-checkout OLD NEW FLAG | post-merge SQUASH |
         post-rewrite amend|rebase>

What the installed Git hooks call (see "${TOOL_NAME} install --help").
`,
};
