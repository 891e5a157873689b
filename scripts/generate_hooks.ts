/**
 * Writes the hook stubs shipped in `hooks/` (`pre-commit`, `pre-push` and
 * the checkout hooks `post-checkout`, `post-merge`, `post-rewrite`, and the
 * server's `pre-receive`) from
 * the same function that `install` uses, with the placeholder command
 * `mcp-orchestration` (looked up on `PATH`). `install` writes the same text
 * with the absolute command the tool was started with.
 *
 * ```sh
 * deno run --allow-write=hooks scripts/generate_hooks.ts
 * ```
 *
 * `tests/hooks/stubs_test.ts` fails when the files are out of date.
 *
 * @module
 */

import { TOOL_NAME } from "../src/constants.ts";
import { HOOK_NAMES, hookStub, SERVER_HOOK_NAMES } from "../src/hooks/stubs.ts";

/** The placeholder command of the shipped stubs. */
export const SHIPPED_COMMAND: readonly string[] = [TOOL_NAME];

/**
 * The shipped stubs' file URLs, by hook name.
 *
 * @returns `hooks/<name>` for every hook the tool installs (client and server).
 */
export function shippedStubFiles(): Map<(typeof HOOK_NAMES)[number], URL> {
  return new Map(
    [...HOOK_NAMES, ...SERVER_HOOK_NAMES].map((
      hook,
    ) => [hook, new URL(`../hooks/${hook}`, import.meta.url)]),
  );
}

if (import.meta.main) {
  for (const [hook, url] of shippedStubFiles()) {
    await Deno.writeTextFile(url, hookStub(hook, SHIPPED_COMMAND));
    await Deno.chmod(url, 0o755);
    console.log(`wrote hooks/${hook}`);
  }
}
