/**
 * Re-exports the tool's permission flags for scripts (one source: src/permissions.ts).
 *
 * @module
 */

export { CI_PERMISSION_FLAGS, PERMISSION_FLAGS } from "../src/permissions.ts";
