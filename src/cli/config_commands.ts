/**
 * Where `sign`, `verify`, `inspect` and the command context were defined
 * before each command had its own file; kept for the modules that import
 * them from here.
 *
 * @module
 */

export type { CommandContext } from "./command_context.ts";
export { inspectCommand } from "./inspect_command.ts";
export { signCommand } from "./sign_command.ts";
export { verifyCommand, type VerifyFormat } from "./verify_command.ts";
