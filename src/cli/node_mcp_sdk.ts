/**
 * The entry point of the Node builds' second bundle, the `mcp-sdk` part
 * (scripts/build.ts): the MCP SDK and zod, which only `mcp` needs, so that
 * the main script every hook and verification starts from leaves them out.
 * The main script loads this part on first use (src/_runtime/bundle_part.ts)
 * and calls its {@linkcode importMcpSdk}.
 *
 * @module
 */

export { importMcpSdk } from "../deps.ts";
// Stamped into both bundles: the main script refuses a part of another build.
export { BUILD_COMMIT } from "../build_info.ts";
