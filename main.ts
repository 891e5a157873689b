/**
 * The command line: `deno run --allow-read --allow-write --allow-run=git
 * --allow-env=HOME,MCP_ORCHESTRATION_HOME,MCP_ORCHESTRATION_KEY,MCP_ORCHESTRATION_AGENT,MCP_ORCHESTRATION_PASSPHRASE_FILE,SSH_AUTH_SOCK main.ts
 * <command>`, from a checkout or a URL. The library is `mod.ts`.
 *
 * @module
 */

import { runProcessMain } from "./src/cli/process_main.ts";

await runProcessMain();
