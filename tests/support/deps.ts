/**
 * Every third-party module the tests use enters here, with an exact version,
 * so a reader sees all test dependencies at a glance. The product's own
 * dependencies live in `src/deps.ts`, the build scripts' in `scripts/deps.ts`;
 * these never reach the tool. tests/deps_test.ts checks that no other file
 * names a package, and that the three agree with deno.lock.
 *
 * Git is run with Deno.Command (tests/support/process.ts), not a git client
 * library: the tests only ever need "run git, fail on a non-zero exit".
 *
 * @module
 */

export { default as fc } from "npm:fast-check@4.10.2";
