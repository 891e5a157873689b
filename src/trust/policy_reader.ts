/**
 * Reads the repository's policy (`.mcp-orchestration/policy.json`) through
 * a store reader, strictly, against the trust list beside it: the one way
 * verification reads it (working tree, commit, index).
 *
 * @module
 */

import { MAX_TRUST_BYTES, POLICY_PATH } from "../constants.ts";
import { ToolError } from "../errors.ts";
import type { StoreReader } from "../source/store_reader.ts";
import type { AllowedSigners } from "./allowed_signers.ts";
import { parsePolicy, type Policy } from "./policy.ts";

/**
 * Reads and checks the policy; an absent file is no policy.
 *
 * @param reader Where to read.
 * @param trust The trust list beside it, whose principals it may name.
 * @returns The policy, or undefined when there is none.
 * @throws {ToolError} `INVALID_FORMAT` for invalid UTF-8 or an invalid policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readPolicy } from "./policy_reader.ts";
 * assert.equal(await readPolicy({ read: () => Promise.resolve(undefined) }, undefined), undefined);
 * ```
 */
export async function readPolicy(
  reader: StoreReader,
  trust: AllowedSigners | undefined,
): Promise<Policy | undefined> {
  const bytes = await reader.read(POLICY_PATH, MAX_TRUST_BYTES);
  if (!bytes) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid policy "${POLICY_PATH}": not valid UTF-8`,
    );
  }
  return parsePolicy(text, {
    source: POLICY_PATH,
    principals: new Set(trust?.entries.flatMap((entry) => entry.principals)),
  });
}
