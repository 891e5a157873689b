/**
 * The signed statement: a few lines of text that bind everything a verifier
 * relies on. The SSHSIG signature covers these exact bytes, so nothing a
 * verifier trusts lives outside them. Layout (docs/FORMAT.md, "Statement"):
 *
 * ```text
 * mcp-orchestration-statement v1
 * path .cursor/mcp.json
 * artifact 8e91a062ff85a4180e571fd3821941aafa1b41d582582275aec426dae657c6de
 * size 412
 * signer SHA256:uOSmM4zP1b0f3lq0mW2pQ0hWbZ1sX3Ns2cB7s5e1aKc
 * signed-at 2026-11-24T10:00:00Z
 * sequence 2
 * previous 3f0c…(64 hex digits) | none
 * ```
 *
 * Every line is `name SP value LF`, in this order, with nothing else: one
 * statement has exactly one byte encoding.
 *
 * @module
 */

import { ID_PATTERN, KEY_ID_PREFIX, STATEMENT_HEADER } from "../constants.ts";
import { ToolError } from "../errors.ts";
import { splitStrictLines } from "../format/lines.ts";

/** What a signer asserts about one version of one config. */
export interface Statement {
  /** Repository-relative, "/"-separated path of the config. */
  path: string;
  /** SHA-256 (hex) of the config's exact bytes. */
  artifact: string;
  /** The config's length in bytes. */
  size: number;
  /** The signer's key id (`SHA256:…`), which must match the signature's key. */
  signer: string;
  /** When it was signed, UTC, whole seconds. */
  signedAt: Date;
  /** 1 for the first signed version of this path, then one more each time. */
  sequence: number;
  /** The artifact id of the path's previous signed version, or `null` for the first. */
  previous: string | null;
}

const FIELDS = [
  "path",
  "artifact",
  "size",
  "signer",
  "signed-at",
  "sequence",
  "previous",
] as const;
const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const DECIMAL_PATTERN = /^(0|[1-9][0-9]{0,15})$/;
const KEY_ID_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;
const MAX_PATH_LENGTH = 4096;

/**
 * Encodes a statement in its one canonical byte form.
 *
 * @param statement The statement.
 * @returns Its UTF-8 bytes.
 * @throws {ToolError} `INVALID_FORMAT` when a field cannot be encoded (e.g. a
 * path with a control character).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatStatement, parseStatement } from "./statement.ts";
 * const statement = {
 *   path: ".mcp.json",
 *   artifact: "a".repeat(64),
 *   size: 2,
 *   signer: "SHA256:" + "A".repeat(43),
 *   signedAt: new Date("2026-11-24T10:00:00Z"),
 *   sequence: 1,
 *   previous: null,
 * };
 * const bytes = formatStatement(statement);
 * assert.ok(parseStatement(bytes, "doc").path === ".mcp.json");
 * ```
 */
export function formatStatement(statement: Statement): Uint8Array {
  const problem = pathProblem(statement.path);
  if (problem) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Cannot sign "${statement.path}": the path ${problem}`,
    );
  }
  const text = [
    STATEMENT_HEADER,
    `path ${statement.path}`,
    `artifact ${statement.artifact}`,
    `size ${statement.size}`,
    `signer ${statement.signer}`,
    `signed-at ${formatTime(statement.signedAt)}`,
    `sequence ${statement.sequence}`,
    `previous ${statement.previous ?? "none"}`,
    "",
  ].join("\n");
  const bytes = new TextEncoder().encode(text);
  // Parsing what we just wrote enforces every field rule in one place.
  parseStatement(bytes, `statement for "${statement.path}"`);
  return bytes;
}

/**
 * Parses a statement strictly: header, field names and order, each value's
 * syntax, and the final newline; nothing else is accepted.
 *
 * @param bytes The statement file's bytes.
 * @param source Where they came from, for errors.
 * @returns The statement.
 * @throws {ToolError} `INVALID_FORMAT` naming the line and the problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStatement } from "./statement.ts";
 * try {
 *   parseStatement(new TextEncoder().encode("hello\n"), "x");
 * } catch (error) {
 *   assert.ok((error as { code?: string }).code === "INVALID_FORMAT");
 * }
 * ```
 */
export function parseStatement(bytes: Uint8Array, source: string): Statement {
  const fail = (detail: string): never => {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid statement "${source}": ${detail}`,
    );
  };
  const lines = splitStrictLines(bytes, fail);
  if (lines[0] !== STATEMENT_HEADER) {
    fail(
      `line 1 must be "${STATEMENT_HEADER}"${
        lines[0]?.startsWith("mcp-orchestration-statement ")
          ? " (an unsupported version)"
          : ""
      }`,
    );
  }
  if (lines.length !== FIELDS.length + 1) {
    fail(`expected ${FIELDS.length + 1} lines, found ${lines.length}`);
  }
  const values = FIELDS.map((name, i) => {
    const line = lines[i + 1] ?? "";
    if (!line.startsWith(`${name} `)) {
      fail(`line ${i + 2} must start with "${name} "`);
    }
    return line.slice(name.length + 1);
  }) as string[];
  const [
    path = "",
    artifact = "",
    size = "",
    signer = "",
    signedAt = "",
    sequence = "",
    previous = "",
  ] = values;
  const problem = pathProblem(path);
  if (problem) fail(`path "${path}" ${problem}`);
  if (!ID_PATTERN.test(artifact)) {
    fail("artifact must be 64 lowercase hex digits");
  }
  if (!DECIMAL_PATTERN.test(size)) {
    fail("size must be a decimal number without leading zeros");
  }
  if (!KEY_ID_PATTERN.test(signer)) {
    fail(
      `signer must be a key id like "${KEY_ID_PREFIX}…" (43 base64 characters)`,
    );
  }
  const time = parseTime(signedAt);
  if (!time) {
    fail(
      `signed-at "${signedAt}" must be a UTC time like "2026-11-24T10:00:00Z"`,
    );
  }
  if (!DECIMAL_PATTERN.test(sequence) || sequence === "0") {
    fail("sequence must be a whole number from 1");
  }
  if (previous !== "none" && !ID_PATTERN.test(previous)) {
    fail(`previous must be "none" or 64 lowercase hex digits`);
  }
  const sequenceNumber = Number(sequence);
  if ((sequenceNumber === 1) !== (previous === "none")) {
    fail(`previous must be "none" exactly when sequence is 1`);
  }
  if (
    !Number.isSafeInteger(Number(size)) || !Number.isSafeInteger(sequenceNumber)
  ) fail("a number is too large");
  return {
    path,
    artifact,
    size: Number(size),
    signer,
    signedAt: time as Date,
    sequence: sequenceNumber,
    previous: previous === "none" ? null : previous,
  };
}

/**
 * Tells why a repository-relative path cannot appear in a statement or the
 * index, or returns `undefined` when it can.
 *
 * @param path A candidate path.
 * @returns A reason such as "contains a control character", or undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathProblem } from "./statement.ts";
 * assert.ok(pathProblem(".mcp.json") === undefined);
 * assert.ok(pathProblem("../x") !== undefined);
 * ```
 */
export function pathProblem(path: string): string | undefined {
  if (path === "") return "is empty";
  if (path.length > MAX_PATH_LENGTH) {
    return `is longer than ${MAX_PATH_LENGTH} characters`;
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return "contains a control character";
  if (path.includes("\\")) return "contains a backslash";
  if (path.startsWith("/")) return "is absolute";
  if (
    path.split("/").some((part) => part === "" || part === "." || part === "..")
  ) {
    return `has an empty, "." or ".." segment`;
  }
  return undefined;
}

/**
 * Formats a time as the statement writes it: UTC, whole seconds.
 *
 * @param time A time.
 * @returns e.g. `2026-11-24T10:00:00Z`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTime } from "./statement.ts";
 * assert.ok(formatTime(new Date(Date.UTC(2026, 10, 24, 10))) === "2026-11-24T10:00:00Z");
 * ```
 */
export function formatTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function parseTime(text: string): Date | undefined {
  const match = TIME_PATTERN.exec(text);
  if (!match) return undefined;
  const time = new Date(text);
  // Date accepts "2026-02-30" by rolling over; the round trip refuses it.
  return Number.isNaN(time.getTime()) || formatTime(time) !== text
    ? undefined
    : time;
}
