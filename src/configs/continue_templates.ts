/**
 * Continue's templates, `${{ secrets.NAME }}` and `${{ inputs.NAME }}`, and
 * whether filling them can change a signed block's structure.
 *
 * Continue (core/config/yaml, `@continuedev/config-yaml`'s
 * `unrollAssistantFromContent`) parses a block, writes it back out with
 * `YAML.stringify`, then fills each template into that *text* with a plain
 * string replace (`fillTemplateVariables`) and parses the result again.
 * `inputs.NAME` is first turned into `secrets.NAME`; a secret's name is the
 * last `/`-separated part of what follows `secrets.`. Its values come from
 * `~/.continue/.env`, then `<workspace>/.continue/.env`, then
 * `<workspace>/.env` (LocalPlatformClient), the first that sets the name; an
 * empty value counts as unset, and an unset template stays as it is.
 *
 * So a value with a line break, or with YAML syntax where the template
 * sits, can add a server to a block whose bytes were signed. A fill is
 * accepted only when the filled text, read as the signed text is read (the
 * strict rules of `validate_config.ts`), has the structure of the block
 * with each filled template replaced by a neutral scalar: the same
 * mappings with the same keys in the same order, the same lists with the
 * same lengths, and the same scalars, except a scalar that held a template,
 * which may become any other scalar. It is checked both on the file's own
 * text and on the text Continue writes back out, and no value may hold a
 * line break.
 *
 * @module
 */

import { loadYamlParser } from "../deps.ts";
import { quote } from "../format/quote.ts";
import { ConfigError, parseConfig } from "./validate_config.ts";

/** A value a template would be filled with, and where it comes from. */
export interface TemplateValue {
  /** The value. Never shown in a message. */
  value: string;
  /** The file that sets it, for messages (`.continue/.env`). */
  from: string;
}

/** The outcome of {@linkcode checkTemplateFill}. */
export type TemplateVerdict =
  | { ok: true; filled: readonly string[] }
  | { ok: false; problem: string };

// Continue's TEMPLATE_VAR_REGEX (config-yaml, load/unroll.ts).
const TEMPLATE = /\$\{\{[\s]*([^}\s]+)[\s]*\}\}/g;

// Line breaks for YAML 1.1 and 1.2 readers, and for any reader of the result.
const LINE_BREAK = /[\n\r\u0085\u2028\u2029]/;

/**
 * The secret a template variable names, or undefined for one Continue does
 * not fill.
 *
 * @param variable What is between `${{` and `}}`, trimmed.
 * @returns The name looked up in `.env` files.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { secretName } from "./continue_templates.ts";
 * strictEqual(secretName("secrets.GITHUB_TOKEN"), "GITHUB_TOKEN");
 * strictEqual(secretName("inputs.owner/block/API_KEY"), "API_KEY");
 * strictEqual(secretName("continue.workspace"), undefined);
 * ```
 */
export function secretName(variable: string): string | undefined {
  const match = /^(?:secrets|inputs)\.(.+)$/.exec(variable);
  if (!match) return undefined;
  return match[1]!.slice(match[1]!.lastIndexOf("/") + 1);
}

/**
 * The secret names a block's text would have filled, in order, once each.
 *
 * @param text The block's text.
 * @returns The names.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { templateSecrets } from "./continue_templates.ts";
 * deepStrictEqual(templateSecrets("env:\n  T: ${{ secrets.T }}\n  U: ${{inputs.U}}\n"), ["T", "U"]);
 * ```
 */
export function templateSecrets(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(TEMPLATE)) {
    const name = secretName(match[1]!);
    if (name !== undefined) names.add(name);
  }
  return [...names];
}

/**
 * Checks that filling a Continue block's templates with `values` gives a
 * document of the block's structure.
 *
 * @param path The block's repository-relative path, named in messages.
 * @param text The block's text (already verified as signed).
 * @param values Secret name → its value and the file that sets it; a name
 * without a value (or with an empty one) is left as Continue leaves it.
 * @returns `ok` with the names filled, or the problem (naming secrets and
 * files, never a value).
 * @throws {ConfigError} When the block itself is not strict YAML.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { checkTemplateFill } from "./continue_templates.ts";
 * const block = "mcpServers:\n  - name: gh\n    command: npx\n    env:\n      T: ${{ secrets.T }}\n";
 * const from = ".env";
 * strictEqual((await checkTemplateFill("b.yaml", block, new Map([["T", { value: "ghp_1", from }]]))).ok, true);
 * strictEqual((await checkTemplateFill("b.yaml", block, new Map([["T", { value: "x\n  - name: evil", from }]]))).ok, false);
 * ```
 */
export async function checkTemplateFill(
  path: string,
  text: string,
  values: ReadonlyMap<string, TemplateValue>,
  options: TemplateFillOptions = {},
): Promise<TemplateVerdict> {
  const json = options.format === "json";
  // Fast path: a block that names no secret needs no parser.
  if (json ? !text.includes("${") : templateSecrets(text).length === 0) {
    return { ok: true, filled: [] };
  }
  const yaml = await loadYamlParser();
  const parsed = await parseConfig(path, new TextEncoder().encode(text), {
    format: json ? "json" : "yaml",
  });
  // The text Continue fills: its own YAML.stringify of the parsed block.
  // No folding, so that every template stays whole (a folded one would
  // not be filled: seeing it filled is the safe side).
  const written = yaml.stringify(json ? withEnvTemplates(parsed) : parsed, {
    lineWidth: 0,
  });
  const used = templateSecrets(json ? written : text).filter((name) =>
    (values.get(name)?.value ?? "") !== ""
  );
  if (used.length === 0) return { ok: true, filled: [] };
  for (const name of used) {
    const { value, from } = values.get(name)!;
    if (LINE_BREAK.test(value)) {
      return {
        ok: false,
        problem: `secret ${quote(name)} from ${
          quote(from)
        } holds a line break, and Continue fills it into the YAML text: it could add servers to the signed block`,
      };
    }
  }
  // A JSON block is filled only as Continue rewrites it, in YAML.
  const forms: [string, string][] = json
    ? [[" as Continue rewrites it in YAML", written]]
    : [["", text], [" as Continue rewrites it", written]];
  for (const [form, source] of forms) {
    const problem = await compareFill(path, source, values);
    if (problem) {
      const names = used.map((name) =>
        `${quote(name)} from ${quote(values.get(name)!.from)}`
      ).join(", ");
      return {
        ok: false,
        problem: `filled with secret${
          used.length > 1 ? "s" : ""
        } ${names}, the block${form} ${problem}: Continue would load other servers than were signed`,
      };
    }
  }
  return { ok: true, filled: used };
}

/** Options for {@linkcode checkTemplateFill}. */
export interface TemplateFillOptions {
  /**
   * How the block is written (default `yaml`). Continue turns a JSON file
   * (Claude Desktop's shape) into YAML blocks, each server's `env` values'
   * `${VAR}` becoming `${{ secrets.VAR }}` (config-yaml,
   * `convertJsonEnvToYamlEnv`), and fills those.
   */
  format?: "yaml" | "json";
}

// A JSON block with each server's env values as Continue converts them.
function withEnvTemplates(
  root: Record<string, unknown>,
): Record<string, unknown> {
  const servers = root["mcpServers"];
  if (!isMapping(servers)) return root;
  const converted: Record<string, unknown> = {};
  for (const [name, server] of Object.entries(servers)) {
    const env = isMapping(server) ? server["env"] : undefined;
    converted[name] = !isMapping(env) ? server : {
      ...(server as Record<string, unknown>),
      env: Object.fromEntries(
        Object.entries(env).map(([key, value]) => [
          key,
          typeof value === "string"
            ? value.replace(/\$\{([^}]+)\}/g, "$${{ secrets.$1 }}")
            : value,
        ]),
      ),
    };
  }
  return { ...root, mcpServers: converted };
}

// The problem with filling `text`, or undefined when the filled document
// has the structure of the neutral one.
async function compareFill(
  path: string,
  text: string,
  values: ReadonlyMap<string, TemplateValue>,
): Promise<string | undefined> {
  let marker = "mcpoTemplate";
  while (text.includes(marker)) marker += "X";
  let count = 0;
  const fill = (neutral: boolean) =>
    text.replace(TEMPLATE, (match, variable: string) => {
      const name = secretName(variable);
      const value = name === undefined ? "" : values.get(name)?.value ?? "";
      if (value === "") return match;
      return neutral ? `${marker}${count++}` : value;
    });
  const parse = async (filled: string) =>
    await parseConfig(path, new TextEncoder().encode(filled), {
      format: "yaml",
    });
  let neutral: unknown;
  try {
    neutral = await parse(fill(true));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return `does not parse with each template replaced by a plain word${
      at(error)
    }`;
  }
  let filled: unknown;
  try {
    filled = await parse(fill(false));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The parser's own message may quote the value: only the line is said.
    return `is no longer strict YAML${at(error)}`;
  }
  const where = firstDifference(neutral, filled, marker);
  return where === undefined ? undefined : `changes structure at ${where}`;
}

function at(error: ConfigError): string {
  return error.line === undefined ? "" : ` (line ${error.line})`;
}

// The path of the first place where `filled` differs from `neutral` other
// than a scalar that held a template becoming another scalar.
function firstDifference(
  neutral: unknown,
  filled: unknown,
  marker: string,
): string | undefined {
  const pending: [unknown, unknown, string][] = [[neutral, filled, ""]];
  const below = (where: string, step: string) =>
    where === "" ? step : `${where} > ${step}`;
  while (pending.length > 0) {
    const [a, b, where] = pending.pop()!;
    if (Array.isArray(a)) {
      if (!Array.isArray(b) || a.length !== b.length) return shown(where);
      a.forEach((item, i) =>
        pending.push([item, b[i], below(where, `item ${i + 1}`)])
      );
    } else if (isMapping(a)) {
      if (!isMapping(b)) return shown(where);
      const keys = Object.keys(a);
      const other = Object.keys(b);
      if (keys.length !== other.length) return shown(where);
      for (const [i, key] of keys.entries()) {
        if (other[i] !== key) return shown(below(where, `key ${i + 1}`));
        pending.push([a[key], b[key], below(where, quote(key))]);
      }
    } else if (typeof a === "string" && a.includes(marker)) {
      if (!isScalar(b)) return shown(where);
    } else if (!Object.is(a, b)) {
      return shown(where);
    }
  }
  return undefined;
}

function shown(where: string): string {
  return where === "" ? "the top level" : where;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return value === null ||
    ["string", "number", "boolean", "bigint"].includes(typeof value);
}
