/**
 * What a build stamps into the tool. In the source tree the commit is
 * `undefined`; `deno task compile` and `deno task bundle` build from a staged
 * copy of the sources in which scripts/build.ts has replaced this file, so
 * that `--version` of a binary or an npm bundle names the commit it was built
 * from.
 *
 * @module
 */

/**
 * The git commit the running code was built from (40 hex digits, with
 * `-dirty` when the working tree had changes), or `undefined` when it runs
 * from source.
 */
export const BUILD_COMMIT: string | undefined = undefined;
