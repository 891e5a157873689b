/**
 * The lint rules: stable ids, what each catches, and how to fix it. The ids
 * are what a policy's `"lint": {"block": […]}` names, so they never change
 * meaning; a new check gets a new id. The checks themselves are in
 * `lint_server.ts`.
 *
 * @module
 */

/** The id of a lint rule. */
export type LintRuleId =
  | "secret-literal"
  | "high-entropy-value"
  | "unpinned-package"
  | "unpinned-image"
  | "shell-wrapper"
  | "pipe-to-shell"
  | "docker-privileged"
  | "docker-host-mount"
  | "insecure-http"
  | "command-outside-repo";

/** What a rule catches, and what to do about it. */
export interface LintRule {
  /** What the rule catches. */
  catches: string;
  /** Why it matters. */
  why: string;
  /** How to fix a finding. */
  fix: string;
}

/**
 * Every rule, by id, in the order findings and documentation list them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LINT_RULES } from "./lint_rules.ts";
 * assert.ok(LINT_RULES["secret-literal"].fix.length > 0);
 * ```
 */
export const LINT_RULES: Readonly<Record<LintRuleId, LintRule>> = {
  "secret-literal": {
    catches:
      "a token in a known format (GitHub, GitLab, OpenAI, Anthropic, Slack, AWS, Google, npm, Hugging Face, Stripe, Linear, Notion, Sentry, Supabase, Figma, Tavily, Perplexity, Groq, xAI, DigitalOcean, Atlassian, SendGrid, Twilio, Azure, JSON Web Tokens), a private key, a password in a URL or `Bearer` with a literal token, in any string of a server",
    why:
      "the config is committed and signed: everyone who can read the repository can use the token",
    fix:
      'revoke the token, and reference it instead: "${env:NAME}" (VS Code: "${input:id}", opencode: "{env:NAME}")',
  },
  "high-entropy-value": {
    catches:
      "an env or header value, or a field a client reads a credential from (Codex's `bearer_token`, Continue's `requestOptions.headers`), holding a run of 20 or more letters, digits, `_`, `+`, `=` or `-`, with letters and digits both and at least 4 bits of Shannon entropy per character",
    why:
      "random-looking values are usually tokens or passwords of a format the secret table does not know",
    fix:
      'if it is a secret, revoke it and reference it instead ("${env:NAME}"); if not, leave the warning (policies block "secret-literal", not this heuristic)',
  },
  "unpinned-package": {
    catches:
      "`npx`, `npm exec`, `pnpm dlx`, `pnpx`, `yarn dlx`, `bunx`, `uvx`, `uv tool run` or `pipx run` of a package without an exact version (`pkg`, `pkg@latest`, `pkg@^1`), and each package uv's `--with` adds",
    why:
      "the server that runs is whatever the registry serves at start: the signature covers the name, not the code",
    fix: 'name an exact version: "pkg@1.2.3" (npm), "pkg==1.2.3" (uvx, pipx)',
  },
  "unpinned-image": {
    catches:
      "`docker run` (or `podman`, `nerdctl`, `finch`) of an image without an `@sha256:` digest (no tag, `:latest`, or any other tag: tags move)",
    why:
      "a tag can be pushed again: the server that runs is not the one that was reviewed",
    fix: 'pin the digest: "image:1.2@sha256:…" (docker inspect shows it)',
  },
  "shell-wrapper": {
    catches:
      "a shell given a command string: `sh|bash|zsh|dash|ksh|fish -c`, `cmd /c`, `powershell|pwsh -Command` or `-EncodedCommand` (or any prefix of either), and a remote server's `headersHelper`, which Claude Code runs through a shell",
    why:
      "the command string can run anything, and reviewers read the server's command, not the string",
    fix:
      "run the program itself, with its arguments in `args` (a script in the repository if needed)",
  },
  "pipe-to-shell": {
    catches:
      "a download piped into an interpreter: `curl … | sh`, `wget -O- … | bash`, `irm … | iex`",
    why: "whatever the URL serves at start runs, and no signature covers it",
    fix:
      "commit the script (so it is reviewed and its bytes are what runs), or install a pinned package",
  },
  "docker-privileged": {
    catches:
      "`--privileged`, `--cap-add ALL` or `SYS_ADMIN`, `--network host`, `--pid host`, `--ipc host`, `--userns host` or `--security-opt` turning confinement off",
    why: "the container can reach the host: a server escapes its sandbox",
    fix: "drop the flag; add only the capabilities the server needs",
  },
  "docker-host-mount": {
    catches:
      "a bind mount (`-v`, `--volume`, `--mount type=bind`) of `/`, the home folder (`~`, `$HOME`, `/home/NAME`, `/Users/NAME`, `/root`) or the Docker socket",
    why:
      "the server can read the user's keys and tokens, or control Docker itself",
    fix:
      "mount only the folder the server needs (the project: ${workspaceFolder} or .), read-only where it can be (:ro)",
  },
  "insecure-http": {
    catches:
      "a remote server at a plain `http://` or `ws://` URL, in any URL field of the entry or Gemini CLI's `tcp` (a WebSocket at ws://host:port; localhost, 127.0.0.0/8 and [::1] are exempt; a WebSocket's https:// is wss://)",
    why:
      "anyone on the path can read the headers (tokens) and change what the server answers",
    fix: "use https://",
  },
  "command-outside-repo": {
    catches:
      "a command that is a path outside the repository: absolute (`/usr/local/bin/x`, `C:\\…`, `\\\\server\\…`), in the home folder (`~/`, `$HOME`) or leaving the repository through `..`",
    why:
      "the signature covers the config, not that program: it differs on each machine and nobody reviewed it",
    fix:
      "run a program from PATH (a pinned package runner) or one committed in the repository, by a relative path",
  },
};

/**
 * The rule ids, in table order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LINT_RULE_IDS } from "./lint_rules.ts";
 * assert.ok(LINT_RULE_IDS.includes("insecure-http"));
 * ```
 */
export const LINT_RULE_IDS: readonly LintRuleId[] = Object.keys(
  LINT_RULES,
) as LintRuleId[];

/**
 * Whether a string is a rule id.
 *
 * @param id Any string.
 * @returns True for an id of {@linkcode LINT_RULES}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLintRuleId } from "./lint_rules.ts";
 * assert.equal(isLintRuleId("shell-wrapper"), true);
 * assert.equal(isLintRuleId("toString"), false);
 * ```
 */
export function isLintRuleId(id: string): id is LintRuleId {
  return Object.hasOwn(LINT_RULES, id);
}

/** One finding of a rule in a config. */
export interface LintFinding {
  /** The rule. */
  rule: LintRuleId;
  /** The config's repository-relative path. */
  path: string;
  /** The server's name. */
  server: string;
  /** The field, as a path in the server view: `env.TOKEN`, `args[2]`, `url`. */
  field: string;
  /** The 1-based line of the value, when found cheaply. */
  line?: number;
  /** What was found (a secret is shown redacted). */
  message: string;
  /** How to fix it. */
  fix: string;
  /** True when the policy blocks this rule. */
  blocking: boolean;
}
