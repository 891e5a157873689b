/**
 * Secrets written into a config: one table of the token formats that
 * providers document (each with a prefix a reader can recognise), a check
 * for credentials in a URL and for `Bearer` with a literal token, and a
 * high-entropy check for values that look random. References that a client
 * fills in at start (`${VAR}`, `${env:VAR}`, `${input:id}`, opencode's
 * `{env:VAR}` and `{file:…}`, Continue's `${{ secrets.NAME }}`) are taken
 * out before any check: they are how a secret is kept out of the file.
 *
 * No npm library fitted: secretlint's rules run inside its own linter
 * runtime (a plugin API over "sources", with a dozen dependencies), and
 * gitleaks' list is TOML for a Go program. The table is short, and
 * tests/configs/lint_rules_test.ts tests each entry with a positive and a
 * negative example.
 *
 * @module
 */

/** One known token format. */
export interface SecretPattern {
  /** What the token is, for messages: "a GitHub token". */
  name: string;
  /** Matches the token (no flags needing state: no `g`). */
  pattern: RegExp;
  /** How many characters of a match a message may show (its fixed prefix). */
  shown: number;
}

/**
 * The known token formats, most specific first (Anthropic's `sk-ant-`
 * before OpenAI's `sk-`).
 */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    name: "a private key",
    pattern: /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----/,
    shown: 10,
  },
  {
    name: "a GitHub token",
    pattern: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/,
    shown: 4,
  },
  {
    name: "a GitHub fine-grained token",
    pattern: /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/,
    shown: 11,
  },
  { name: "a GitLab token", pattern: /\bglpat-[A-Za-z0-9_-]{20,}/, shown: 6 },
  {
    name: "an Anthropic API key",
    pattern: /\bsk-ant-[a-z0-9]{2,8}-[A-Za-z0-9_-]{20,}/,
    shown: 7,
  },
  {
    name: "an OpenAI API key",
    pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/,
    shown: 3,
  },
  {
    name: "a Slack token",
    pattern: /\bxox[abposr]-[0-9A-Za-z-]{10,}/,
    shown: 5,
  },
  {
    name: "an AWS access key id",
    pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/,
    shown: 4,
  },
  { name: "a Google API key", pattern: /\bAIza[0-9A-Za-z_-]{35}/, shown: 4 },
  { name: "an npm token", pattern: /\bnpm_[A-Za-z0-9]{36}\b/, shown: 4 },
  {
    name: "a Hugging Face token",
    pattern: /\bhf_[A-Za-z0-9]{30,}\b/,
    shown: 3,
  },
  {
    name: "a Stripe key",
    pattern: /\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/,
    shown: 8,
  },
  // Red team 13: the services MCP servers are most often configured for,
  // each with a prefix its provider documents (gitleaks' rules agree).
  {
    name: "a Linear API key",
    pattern: /\blin_(?:api|oauth)_[A-Za-z0-9]{32,}/,
    shown: 8,
  },
  {
    name: "a Notion token",
    pattern: /\b(?:ntn_[A-Za-z0-9]{40,}|secret_[A-Za-z0-9]{43}\b)/,
    shown: 4,
  },
  {
    name: "a Sentry token",
    pattern: /\bsntry[su]_[A-Za-z0-9+/=_-]{40,}/,
    shown: 7,
  },
  {
    name: "a Supabase key",
    pattern: /\b(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{20,})/,
    shown: 4,
  },
  { name: "a Figma token", pattern: /\bfigd_[A-Za-z0-9_-]{30,}/, shown: 5 },
  {
    name: "a Tavily API key",
    pattern: /\btvly-(?:dev-|prod-)?[A-Za-z0-9]{24,}/,
    shown: 5,
  },
  {
    name: "a Perplexity API key",
    pattern: /\bpplx-[A-Za-z0-9]{40,}/,
    shown: 5,
  },
  { name: "a Groq API key", pattern: /\bgsk_[A-Za-z0-9]{40,}/, shown: 4 },
  { name: "an xAI API key", pattern: /\bxai-[A-Za-z0-9]{60,}/, shown: 4 },
  {
    name: "a DigitalOcean token",
    pattern: /\bdo[por]_v1_[a-f0-9]{64}\b/,
    shown: 7,
  },
  {
    name: "an Atlassian API token",
    pattern: /\bATATT3[A-Za-z0-9_=-]{100,}/,
    shown: 6,
  },
  {
    name: "a SendGrid API key",
    pattern: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/,
    shown: 3,
  },
  { name: "a Twilio API key", pattern: /\bSK[0-9a-fA-F]{32}\b/, shown: 2 },
  {
    name: "an Azure account key",
    pattern: /\b(?:AccountKey|SharedAccessKey)=[A-Za-z0-9+/]{40,}/,
    shown: 0,
  },
  {
    name: "a JSON Web Token",
    // Bounded header and payload: a run of "eyJ-" without dots fails each
    // start within the bound, so the scan stays linear.
    pattern:
      /\beyJ[A-Za-z0-9_-]{10,300}\.eyJ[A-Za-z0-9_-]{10,8192}\.[A-Za-z0-9_-]{10,}/,
    shown: 3,
  },
  {
    name: "a password in a URL",
    // Bounded: an unbounded scheme made this quadratic on "a.a.a.…"
    // (minutes for a 1 MiB value, in a pre-receive hook).
    pattern: /\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s/:@]+:[^\s/@]+@/i,
    shown: 0,
  },
  {
    name: "a literal Bearer token",
    pattern: /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/,
    shown: 7,
  },
];

/** A string is high-entropy when a run of token characters this long… */
export const ENTROPY_MIN_LENGTH = 20;
/** …has at least this Shannon entropy, in bits per character. */
export const ENTROPY_MIN_BITS = 4;

// What a client fills in when it starts a server: not a secret in the file.
// No reference holds a "$" or "{" inside: stopping there keeps this linear
// on "${${${…" (an unclosed brace scanned to the end from each "$").
const REFERENCES =
  /\$\{\{[^}$]*\}\}|\$\{[^}$]*\}|\{(?:env|file):[^}{]*\}|\$[A-Z_][A-Z0-9_]*/g;

/** A secret found in a string: what it is, and a redacted form to show. */
export interface SecretMatch {
  /** What the secret is: "a GitHub token", "a high-entropy value". */
  name: string;
  /** Its known prefix and "…", never the secret itself: `"ghp_…"`. */
  redacted: string;
}

/**
 * The string with every client-side reference taken out.
 *
 * @param value A string of a config.
 * @returns It without `${VAR}`, `${env:VAR}`, `${input:id}`, `{env:VAR}`,
 * `{file:path}`, `${{ secrets.X }}` or `$VAR`; `${VAR:-default}` leaves its
 * default, a value written into the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutReferences } from "./secret_patterns.ts";
 * assert.equal(withoutReferences("Bearer ${env:TOKEN}"), "Bearer ");
 * assert.equal(withoutReferences("${TOKEN:-abc}"), "abc");
 * ```
 */
export function withoutReferences(value: string): string {
  // A default (`${VAR:-value}`, which Claude Code fills in when VAR is
  // unset) is written into the file: it stays, to be checked.
  return value.replace(
    REFERENCES,
    (reference) => /^\$\{[^}$]*?:-([^}$]*)\}$/.exec(reference)?.[1] ?? "",
  );
}

/**
 * The known secret in a string, if any (references excepted).
 *
 * @param value A string of a config.
 * @returns The first known format it holds, or undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findKnownSecret } from "./secret_patterns.ts";
 * assert.equal(findKnownSecret("ghp_" + "a1".repeat(18))?.redacted, "ghp_…");
 * assert.equal(findKnownSecret("${GITHUB_TOKEN}"), undefined);
 * ```
 */
export function findKnownSecret(value: string): SecretMatch | undefined {
  const text = withoutReferences(value);
  for (const { name, pattern, shown } of SECRET_PATTERNS) {
    const match = pattern.exec(text);
    if (match) return { name, redacted: `${match[0].slice(0, shown)}…` };
  }
  return undefined;
}

/**
 * The text with every known secret in it replaced by its redacted form, for
 * messages that quote a value (a package spec, an image, a mount).
 *
 * @param text Any text.
 * @returns It with each match of {@linkcode SECRET_PATTERNS} shortened to
 * its prefix and "…".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactSecrets } from "./secret_patterns.ts";
 * assert.equal(redactSecrets("https://me:hunter2hunter2@example.com/x.tgz"), "…example.com/x.tgz");
 * ```
 */
export function redactSecrets(text: string): string {
  let redacted = text;
  for (const { pattern, shown } of SECRET_PATTERNS) {
    redacted = redacted.replace(
      new RegExp(pattern.source, `${pattern.flags}g`),
      (match) => `${match.slice(0, shown)}…`,
    );
  }
  return redacted;
}

/**
 * A run of token characters that looks random (see
 * {@linkcode ENTROPY_MIN_LENGTH} and {@linkcode ENTROPY_MIN_BITS}), holding
 * letters and digits both, references excepted.
 *
 * @param value A string of a config.
 * @returns The match, its first 4 characters shown, or undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findHighEntropy } from "./secret_patterns.ts";
 * assert.equal(findHighEntropy("q8Zr2LmX0vTn5KpW7sYc3HdJ")?.redacted, "q8Zr…");
 * assert.equal(findHighEntropy("application/json; charset=utf-8"), undefined);
 * ```
 */
export function findHighEntropy(value: string): SecretMatch | undefined {
  const text = withoutReferences(value);
  for (const [run] of text.matchAll(/[A-Za-z0-9_+=-]+/g)) {
    if (
      run.length >= ENTROPY_MIN_LENGTH && /[0-9]/.test(run) &&
      /[A-Za-z]/.test(run) && shannonEntropy(run) >= ENTROPY_MIN_BITS
    ) {
      return { name: "a high-entropy value", redacted: `${run.slice(0, 4)}…` };
    }
  }
  return undefined;
}

/**
 * Shannon entropy of a string, in bits per character.
 *
 * @param text Any string.
 * @returns 0 for an empty or one-letter string; log2(n) at most.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shannonEntropy } from "./secret_patterns.ts";
 * assert.equal(shannonEntropy("abab"), 1);
 * ```
 */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  const length = [...text].length;
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
