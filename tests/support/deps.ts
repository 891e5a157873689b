/**
 * Every third-party module the tests use enters here, with an exact version,
 * so a reader sees all test dependencies at a glance. The product's own
 * dependencies live in `src/deps.ts`; these never reach the tool.
 *
 * @module
 */

export {
  GitError,
  type SimpleGit,
  simpleGit,
  type SimpleGitOptions,
} from "npm:simple-git@3.27.0";
export { default as fc } from "npm:fast-check@4.10.2";
