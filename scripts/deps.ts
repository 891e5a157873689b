/**
 * Third-party code used by the build scripts (never by the tool itself),
 * with exact versions: the scripts' one place for it, as src/deps.ts is the
 * tool's (tests/deps_test.ts).
 *
 * @module
 */

/** Injects a resource into an executable (Node single executables). */
export { default as postject } from "npm:postject@1.0.0-alpha.6";
