/**
 * Continue blocks checked as Continue loads them: with each
 * `${{ secrets.NAME }}` (or `${{ inputs.NAME }}`, or in a JSON block an env
 * value's `${NAME}`) filled from the
 * workspace's `.continue/.env` or `.env`, files nobody signs. A block that
 * verified is `TAMPERED` when a value from those files holds a line break
 * or changes the block's structure (`src/configs/continue_templates.ts`).
 *
 * Values from `~/.continue/.env` (which Continue reads first) and from
 * Continue Hub are the user's own, not the repository's, and are not read.
 *
 * @module
 */

import { MAX_CONFIG_BYTES } from "../constants.ts";
import { errorMessage } from "../errors.ts";
import {
  checkTemplateFill,
  type TemplateValue,
} from "../configs/continue_templates.ts";
import { parseDotenv } from "../configs/dotenv.ts";
import { quote } from "../format/quote.ts";
import type { ConfigSource } from "../source/config_source.ts";
import { type ConfigTarget, readConfigBytes } from "../source/find_configs.ts";
import type { VerifyResult } from "./verify_codes.ts";

// Continue's workspace config folder.
const CONTINUE_DIR = ".continue/";

/**
 * Fails each verified Continue block (YAML or JSON) that the workspace's `.env`
 * files would rewrite when Continue fills its templates.
 *
 * @param source The working tree.
 * @param targets The configs verified.
 * @param results Their results, replaced in place for a block that fails.
 * @returns Nothing; `results` is updated.
 *
 * @example
 * ```ts ignore
 * await checkContinueTemplates(source, targets, results);
 * ```
 */
export async function checkContinueTemplates(
  source: ConfigSource,
  targets: readonly ConfigTarget[],
  results: VerifyResult[],
): Promise<void> {
  const workspaces = new Map<string, Promise<Map<string, TemplateValue>>>();
  for (const target of targets) {
    const format = target.kind.format;
    if (
      target.kind.client !== "Continue" ||
      (format !== "yaml" && format !== "json")
    ) {
      continue;
    }
    const at = results.findIndex((result) => result.path === target.path);
    if (at < 0 || !results[at]!.ok) continue;
    const failed = await checkBlock(source, target.path, format, workspaces);
    if (failed) {
      results[at] = {
        ...results[at]!,
        ok: false,
        code: "TAMPERED",
        reason: failed,
      };
    }
  }
}

// The reason a verified block fails once filled, or undefined.
async function checkBlock(
  source: ConfigSource,
  path: string,
  format: "yaml" | "json",
  workspaces: Map<string, Promise<Map<string, TemplateValue>>>,
): Promise<string | undefined> {
  const bytes = await readConfigBytes(source, path);
  if (!bytes) return undefined;
  const text = new TextDecoder().decode(bytes);
  // Cheap first: most blocks name no secret (every template starts with
  // "${"), and then need neither a YAML parser nor a .env file.
  if (!text.includes("${")) return undefined;
  const workspace = path.slice(0, path.lastIndexOf(CONTINUE_DIR));
  let values = workspaces.get(workspace);
  if (!values) {
    values = readWorkspaceValues(source, workspace);
    workspaces.set(workspace, values);
  }
  try {
    const verdict = await checkTemplateFill(path, text, await values, {
      format,
    });
    return verdict.ok ? undefined : verdict.problem;
  } catch (error) {
    return `cannot check the secrets Continue fills into this block from ${
      quote(`${workspace}${CONTINUE_DIR}.env`)
    } or ${quote(`${workspace}.env`)}: ${errorMessage(error)}`;
  }
}

// Secret name → the value Continue would take from the workspace: its
// `.continue/.env` first, then its `.env`.
async function readWorkspaceValues(
  source: ConfigSource,
  workspace: string,
): Promise<Map<string, TemplateValue>> {
  const values = new Map<string, TemplateValue>();
  for (const file of [`${workspace}${CONTINUE_DIR}.env`, `${workspace}.env`]) {
    const bytes = await source.reader.read(file, MAX_CONFIG_BYTES);
    if (!bytes) continue;
    // Continue reads the file as UTF-8 with replacement characters, as this does.
    for (const [name, value] of parseDotenv(new TextDecoder().decode(bytes))) {
      // An empty value counts as unset: the next file is asked.
      if (!values.has(name) && value !== "") {
        values.set(name, { value, from: file });
      }
    }
  }
  return values;
}
