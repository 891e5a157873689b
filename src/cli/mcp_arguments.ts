/**
 * What the `mcp` server accepts as a path or a revision in a tool call.
 * An MCP client (an AI agent) fills the arguments, so they are checked
 * before they become a command line: a path must name a file inside the
 * server's repository folder, and no value may become an option of the
 * command or of git (`--key=…`, `--output=…`).
 *
 * Each check returns why a value is refused, or undefined when it is fine;
 * the server's zod schemas turn a reason into a tool error. Values are
 * quoted as every message quotes them ({@linkcode quote}), and a private
 * key pasted as a value is never repeated ({@linkcode redactPrivateKeys}).
 *
 * @module
 */

import { posix } from "node:path";
import { STORE_DIR } from "../constants.ts";
import { quote } from "../format/quote.ts";
import { REDACTED_PRIVATE_KEY, redactPrivateKeys } from "../format/redact.ts";

/** Longest path or revision accepted, in UTF-16 code units. */
export const MAX_ARGUMENT_LENGTH = 4096;

// C0 and C1 controls, DEL: no file name or revision a person means has one,
// and git refuses them in ref names.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Quotes a value for a refusal, or says it is a private key without
 * repeating it.
 *
 * @param value The value as the client sent it.
 * @returns The quoted value, or {@linkcode REDACTED_PRIVATE_KEY}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shownArgument } from "./mcp_arguments.ts";
 * assert.equal(shownArgument("a\u0000b"), '"a\\u0000b"');
 * ```
 */
export function shownArgument(value: string): string {
  return redactPrivateKeys(value) === value
    ? quote(value)
    : REDACTED_PRIVATE_KEY;
}

/**
 * Why a path is refused: it must be non-empty, without NUL or other
 * controls, relative (no `/`, `\` or drive letter first), not start with
 * `-` (it would read as an option), and stay inside the repository folder
 * once `.` and `..` are resolved.
 *
 * @param path A path as a tool call names it, relative to the server's
 *   repository folder.
 * @returns The reason, or undefined when the path is acceptable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathProblem } from "./mcp_arguments.ts";
 * assert.equal(pathProblem(".cursor/mcp.json"), undefined);
 * assert.match(pathProblem("/etc/passwd")!, /is absolute/);
 * assert.match(pathProblem("a/../../x")!, /outside the repository/);
 * ```
 */
export function pathProblem(path: string): string | undefined {
  if (path === "") return "A path is empty";
  const shown = shownArgument(path);
  if (path.length > MAX_ARGUMENT_LENGTH) {
    return `Path ${shown} is longer than ${MAX_ARGUMENT_LENGTH} characters`;
  }
  if (path.includes("\u0000")) return `Path ${shown} holds a NUL character`;
  if (CONTROL.test(path)) return `Path ${shown} holds a control character`;
  if (/^(?:[/\\]|[A-Za-z]:)/.test(path)) {
    return `Path ${shown} is absolute: name it relative to the repository folder`;
  }
  if (path.startsWith("-")) {
    return `Path ${shown} starts with "-", which would read as an option: prefix it with "./"`;
  }
  const normal = posix.normalize(path.replaceAll("\\", "/"));
  if (normal === ".." || normal.startsWith("../")) {
    return `Path ${shown} leads outside the repository folder ("..")`;
  }
  return undefined;
}

/**
 * Why a path is refused for signing or approving through the server: as
 * {@linkcode pathProblem}, and also anything in the tool's own folder
 * (`.mcp-orchestration/`: the trust list, `config.json`, the policy, the
 * revocations). A change to who is trusted, or to what counts as a config,
 * is signed by a person at the command line, never on an agent's request:
 * an agent that can write files could otherwise add its own key to the
 * trust list and have the user's key sign that.
 *
 * @param path A path as a `sign` or `approve` call names it.
 * @returns The reason, or undefined when the path may be signed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signablePathProblem } from "./mcp_arguments.ts";
 * assert.equal(signablePathProblem(".mcp.json"), undefined);
 * assert.match(signablePathProblem(".mcp-orchestration/allowed_signers")!, /command line/);
 * ```
 */
export function signablePathProblem(path: string): string | undefined {
  const problem = pathProblem(path);
  if (problem) return problem;
  const segments = posix.normalize(path.replaceAll("\\", "/")).split("/");
  // Compared without case: on macOS and Windows the folder is the same.
  if (segments.some((segment) => segment.toLowerCase() === STORE_DIR)) {
    return `Path ${
      shownArgument(path)
    } is in the tool's own folder "${STORE_DIR}": the trust list, the policy ` +
      `and the repository's config.json are signed at the command line ` +
      `("mcp-orchestration sign PATH"), not through the MCP server`;
  }
  return undefined;
}

/**
 * Why a revision is refused: it must be non-empty, hold no control
 * character or whitespace, and not start with `-`, which git would read as
 * an option (`--output=FILE`).
 *
 * @param revision A revision or artifact id, e.g. `HEAD~1`.
 * @param what What it is called in the message, e.g. `Revision`.
 * @returns The reason, or undefined when the revision is acceptable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { revisionProblem } from "./mcp_arguments.ts";
 * assert.equal(revisionProblem("HEAD~1"), undefined);
 * assert.match(revisionProblem("--output=x")!, /starts with "-"/);
 * ```
 */
export function revisionProblem(
  revision: string,
  what = "Revision",
): string | undefined {
  if (revision === "") return `${what} is empty`;
  const shown = shownArgument(revision);
  if (revision.length > MAX_ARGUMENT_LENGTH) {
    return `${what} ${shown} is longer than ${MAX_ARGUMENT_LENGTH} characters`;
  }
  if (revision.startsWith("-")) {
    return `${what} ${shown} starts with "-": git would read it as an option`;
  }
  if (CONTROL.test(revision) || /\s/.test(revision)) {
    return `${what} ${shown} holds a control character or a space`;
  }
  return undefined;
}

/**
 * Why a range `A..B` is refused: it must hold `..`, and each side must be
 * an acceptable revision ({@linkcode revisionProblem}).
 *
 * @param range The range, e.g. `main..HEAD`.
 * @returns The reason, or undefined when the range is acceptable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rangeProblem } from "./mcp_arguments.ts";
 * assert.equal(rangeProblem("main..HEAD"), undefined);
 * assert.match(rangeProblem("main..-x")!, /starts with "-"/);
 * ```
 */
export function rangeProblem(range: string): string | undefined {
  const problem = revisionProblem(range, "Range");
  if (problem) return problem;
  const separator = range.indexOf("..");
  if (separator < 0) {
    return `Range ${shownArgument(range)} is not of the form "A..B"`;
  }
  const end = range.startsWith("...", separator)
    ? separator + 3
    : separator + 2;
  for (const side of [range.slice(0, separator), range.slice(end)]) {
    if (side !== "") {
      const bad = revisionProblem(side, "Range end");
      if (bad) return bad;
    }
  }
  return undefined;
}

/**
 * Why a key comment is refused: longer than 200 characters, or holding a
 * control character (it ends up on the public key's line).
 *
 * @param comment The comment.
 * @returns The reason, or undefined when the comment is acceptable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commentProblem } from "./mcp_arguments.ts";
 * assert.equal(commentProblem("alice laptop"), undefined);
 * assert.match(commentProblem("a\nb")!, /control character/);
 * ```
 */
export function commentProblem(comment: string): string | undefined {
  if (comment.length > 200) {
    return "A key comment is longer than 200 characters";
  }
  if (CONTROL.test(comment)) {
    return `Key comment ${shownArgument(comment)} holds a control character`;
  }
  return undefined;
}
