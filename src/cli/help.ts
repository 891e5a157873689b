/**
 * Help texts: one for the tool and one per command. Kept together so they
 * read as the manual they are.
 *
 * @module
 */

import {
  RELEASE_SIGNATURE_NAMESPACE,
  SIGNATURE_NAMESPACE,
  TOOL_NAME,
  VERSION,
} from "../constants.ts";
import { VERIFY_CODES } from "../verify/verify_codes.ts";

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
  trust add     trust a public key to sign this repository's configs
  trust list    list trusted keys
  trust remove  stop trusting a key (by key id or principal)
  sign          sign MCP configs (all recognised configs, or the paths given)
  verify        verify MCP configs against their signatures and the trust list
  inspect       show the signed statement and signature of a config or artifact
  sign-file     sign release files into FILE.sig, checkable with ssh-keygen
  install       install the Git hooks: sign on commit, verify on push
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

/** Help for each command, by its full name. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  "keys": `Usage: ${TOOL_NAME} keys <init|show> [options]

  keys init [--regenerate] [--comment TEXT] [--json]
  keys show [--key PATH] [--json]
`,
  "keys init":
    `Usage: ${TOOL_NAME} keys init [--regenerate] [--comment TEXT] [--json]

Creates an Ed25519 key pair in $MCP_ORCHESTRATION_HOME/keys (default
~/.mcp-orchestration/keys): signing.key, an unencrypted OpenSSH private key
(mode 0600, folder 0700), and signing.pub. An existing key is never
overwritten.

Options:
  --regenerate    retire the existing key (moved to keys/retired/, not deleted)
                  and create a new one; prints both key ids
  --comment TEXT  the public key's comment (default "${TOOL_NAME}")
  --json          machine-readable output

${EXIT_CODES}
`,
  "keys show": `Usage: ${TOOL_NAME} keys show [--key PATH] [--json]

Prints the signing key's id (its OpenSSH SHA256 fingerprint) and public key line.

Options:
  --key PATH  an unencrypted Ed25519 OpenSSH private key to use instead of the
              default (also $MCP_ORCHESTRATION_KEY)
  --json      machine-readable output

${EXIT_CODES}
`,
  "trust": `Usage: ${TOOL_NAME} trust <add|list|remove> [options]

  trust add <PUBLIC_KEY_FILE | "ssh-ed25519 AAAA…"> --principal NAME [--valid-after DATE] [--valid-before DATE]
  trust list [--json]
  trust remove <KEY_ID | PRINCIPAL>
`,
  "trust add":
    `Usage: ${TOOL_NAME} trust add <PUBLIC_KEY_FILE | KEY_LINE> --principal NAME [options]

Adds a public key to .mcp-orchestration/allowed_signers (OpenSSH format, with
namespaces="mcp-orchestration"), so configs it signs verify.

Options:
  --principal NAME     who the key belongs to, e.g. an email address (required)
  --valid-after DATE   trust the key only from DATE (YYYYMMDD[HHMM[SS]]Z or ISO 8601)
  --valid-before DATE  trust the key only until DATE
  --json               machine-readable output

${EXIT_CODES}
`,
  "trust list": `Usage: ${TOOL_NAME} trust list [--json]

Lists the keys in .mcp-orchestration/allowed_signers.

${EXIT_CODES}
`,
  "trust remove": `Usage: ${TOOL_NAME} trust remove <KEY_ID | PRINCIPAL>

Removes every entry with that key id (SHA256:…) or exact principal.

${EXIT_CODES}
`,
  "sign": `Usage: ${TOOL_NAME} sign [PATH…] [--key PATH] [--json]

Signs MCP configs: every recognised config in the working tree, or the PATHs
given. Each file must parse in its format, hold its client's server table and
have no duplicate keys; otherwise nothing is written. Recognised files (at any
depth): .mcp.json, .cursor/mcp.json, .vscode/mcp.json (JSONC),
claude_desktop_config.json, .gemini/settings.json (JSONC), .zed/settings.json
(JSONC), .codex/config.toml, mcp_config.json, cline_mcp_settings.json, plus the
patterns in .mcp-orchestration/config.json.

Options:
  --key PATH  sign with this unencrypted Ed25519 OpenSSH private key
              (default $MCP_ORCHESTRATION_KEY, else ~/.mcp-orchestration/keys/signing.key)
  --json      machine-readable output

${EXIT_CODES}
`,
  "sign-file":
    `Usage: ${TOOL_NAME} sign-file <FILE…> [--key PATH] [--namespace NS] [--force] [--json]

Signs each FILE with your signing key (the same key as "sign") and writes
FILE.sig next to it: an armored SSHSIG signature, as "ssh-keygen -Y sign"
makes. Files of any size are hashed as a stream. Nothing is written unless
every file could be signed. A user checks a file with:

  ssh-keygen -Y verify -f ALLOWED_SIGNERS -I PRINCIPAL -n ${RELEASE_SIGNATURE_NAMESPACE} -s FILE.sig < FILE

Options:
  --key PATH      sign with this unencrypted Ed25519 OpenSSH private key
                  (default $MCP_ORCHESTRATION_KEY, else ~/.mcp-orchestration/keys/signing.key)
  --namespace NS  the SSHSIG namespace (default "${RELEASE_SIGNATURE_NAMESPACE}"); never
                  "${SIGNATURE_NAMESPACE}", which only config statements are signed in
  --force         replace an existing FILE.sig (refused otherwise)
  --json          machine-readable output: signer, namespace, and each file's
                  signature path, size and SHA-256

${EXIT_CODES}
`,
  "verify": `Usage: ${TOOL_NAME} verify [PATH…] [--format FORMAT]
       ${TOOL_NAME} verify --rev REV [--format FORMAT]
       ${TOOL_NAME} verify --range A..B [--format FORMAT]

Verifies every recognised config in the working tree (or the PATHs given)
against its signed statement, its stored artifact, its SSHSIG signature and
the trust list. With --rev or --range it verifies commits instead, straight
from Git objects (no checkout): each commit's configs, its trust-list change
(signed by a key trusted before it) and that no config went back to an older
signed version. --range is the check CI runs on a branch or pull request.
Any failure exits 1. Failure codes:
${
    Object.entries(VERIFY_CODES).map(([code, text]) =>
      `  ${code.padEnd(17)} ${text}`
    ).join("\n")
  }

Options:
  --rev REV         verify this commit, against its parents
  --range A..B      verify every commit reachable from B but not from A, oldest
                    first (a commit without parents in it fails: it would bring
                    its own root of trust)
  --format FORMAT   text (the default); json (machine-readable); or github:
                    one GitHub Actions annotation per failure,
                    "::error file=PATH,title=CODE::REASON", REASON followed by
                    "(commit ID SUBJECT)" with --rev and --range, then a
                    summary line that is not an annotation
  --json            the same as --format json

${EXIT_CODES}
`,
  "install": `Usage: ${TOOL_NAME} install [--force] [--json]

Installs the pre-commit hook (signs the MCP configs being committed) and the
pre-push hook (verifies the commits being pushed) into the folder Git runs
hooks from (git rev-parse --git-path hooks: linked worktrees share it,
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

Options:
  --force  install into a core.hooksPath folder that is not ours, moving its
           hooks aside and chaining them
  --json   machine-readable output

${EXIT_CODES}
`,
  "uninstall": `Usage: ${TOOL_NAME} uninstall [--json]

Removes the hooks that install wrote and puts back the hooks they had moved
aside. A hook that has replaced ours since is left alone, with a warning.

Options:
  --json  machine-readable output

${EXIT_CODES}
`,
  "init":
    `Usage: ${TOOL_NAME} init [--principal NAME] [--key PATH] [--force] [--json]

Sets this repository up in one step, and says what each step did:
  1. key    uses your signing key: the one given with --key or
            $MCP_ORCHESTRATION_KEY (never created), else
            ~/.mcp-orchestration/keys/signing.key, created when there is none
  2. trust  adds its public key to .mcp-orchestration/allowed_signers, unless
            it is trusted already
  3. hooks  installs the pre-commit and pre-push hooks (as "install" does)
  4. sign   signs the MCP configs in the working tree, and the trust list
Then it prints the git command that commits the result; from then on the
pre-commit hook signs the configs you commit.

Running it again is safe: the key is kept, no second trust entry is added,
and current hooks and signatures are left as they are. When a step fails,
nothing after it runs; the message names the steps already done, and running
init again after the fix completes the rest.

Options:
  --principal NAME  who the key belongs to in the trust list (default:
                    git config user.email; one of the two is needed when the
                    key is not trusted yet)
  --key PATH        use this unencrypted Ed25519 OpenSSH private key
  --force           install the hooks into a core.hooksPath folder that is
                    not ours (see "${TOOL_NAME} install --help")
  --json            machine-readable report of the steps

${EXIT_CODES}
`,
  "status": `Usage: ${TOOL_NAME} status [--json]

Lists the MCP configs in the working tree (as verify finds them) with their
client, verification result (ok, UNSIGNED, TAMPERED, …), signer key id and
principals, whether the signer is trusted, when they were last signed and
their sequence; the trust list's own signature; index entries whose file is
gone (tombstones: "deleted, last signed …"); whether the hooks are installed;
and your key id. It changes nothing.

Exits 0 whatever it finds (use "verify" to fail on problems), and 1 only when
the repository cannot be read.

Options:
  --json  machine-readable output

${EXIT_CODES}
`,
  "hook": `Usage: ${TOOL_NAME} hook <pre-commit | pre-push REMOTE URL>

What the installed Git hooks call (see "${TOOL_NAME} install --help").
`,
  "hook pre-commit": `Usage: ${TOOL_NAME} hook pre-commit

Signs the staged version (the blob in the index) of every MCP config and of
the trust list that the commit changes, and stages the new artifacts,
statements and index into the same commit. Prints nothing for a commit that
touches no config. Refuses the commit when there is no key, the key is not
trusted by the repository, or a config does not validate.

${EXIT_CODES}
`,
  "hook pre-push": `Usage: ${TOOL_NAME} hook pre-push REMOTE URL < ref-updates

Reads git's pre-push lines ("<local ref> <local id> <remote ref> <remote id>")
and verifies every commit the remote does not have yet (new branches
included, deletions skipped), as "verify --range" would. Refuses the push
with a per-commit, per-file report when any fails.

${EXIT_CODES}
`,
  "inspect": `Usage: ${TOOL_NAME} inspect <PATH | ARTIFACT_ID> [--json]

Shows the artifact id, path, signer key id and principal, signing time,
sequence, previous artifact, and the exact signed statement and armored
signature, so anyone can check them with sha256sum and ssh-keygen -Y verify
(see docs/FORMAT.md).

Options:
  --json  machine-readable output

${EXIT_CODES}
`,
};
