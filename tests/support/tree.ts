/**
 * The checkout's own text files, for tests that check something written in
 * several of them (permission flags, dependency specifiers).
 *
 * @module
 */

import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout's root. */
export const ROOT: string = fileURLToPath(new URL("../..", import.meta.url));

// Built or installed output, git's folder, and recorded measurements (data
// that quotes the commands it measured, not instructions).
const SKIPPED = new Set([
  ".git",
  "dist",
  "node_modules",
  ".coverage",
  "bench/results",
  "deno.lock",
]);

/**
 * Reads every text file of the checkout, but git's folder, build output and
 * recorded bench results, with "/"-separated root-relative paths.
 *
 * @returns Path to text, sorted by path.
 */
export async function readTree(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      const name = relative(ROOT, path).replaceAll("\\", "/");
      if (
        SKIPPED.has(name) || entry.name === "node_modules" ||
        /^runtime\/\.?deno-/.test(name)
      ) continue;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile) {
        const bytes = await Deno.readFile(path);
        if (bytes.length > 1 << 20 || bytes.includes(0)) continue;
        try {
          files.set(name, decoder.decode(bytes));
        } catch {
          // Not text.
        }
      }
    }
  }
  await walk(ROOT);
  return new Map([...files].sort(([a], [b]) => a < b ? -1 : 1));
}
