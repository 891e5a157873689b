/**
 * This checkout served over loopback HTTP, as raw.githubusercontent.com
 * serves a repository, so tests can run `deno run <URL>/main.ts` with no
 * network (tests/dist/url_run_test.ts, tests/dist/readme_test.ts), and a
 * fresh Deno cache for each such run.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, relative, sep } from "node:path";
import { denoEnv, MOD_PATH } from "./cli.ts";

const CHECKOUT = dirname(MOD_PATH);

// How the server labels the files under each path prefix: "/ts/" with a
// TypeScript type, "/plain/" as raw.githubusercontent.com serves source
// files, where Deno goes by the `.ts` extension instead.
const CONTENT_TYPES = new Map([
  ["ts", "text/typescript; charset=utf-8"],
  ["plain", "text/plain; charset=utf-8"],
]);

/** This checkout, served over loopback HTTP. */
export interface CheckoutServer extends AsyncDisposable {
  /** The server's root URL, ending in "/". */
  origin: string;
  /** Every request so far: `<status> <path>`. */
  log: string[];
}

/**
 * Serves the checkout's `.ts` files at `<origin><prefix>/<path>`, prefix a
 * key of CONTENT_TYPES; 403 for a path segment that is empty, starts with
 * "." (`..`, `.git`) or hides a separator, or a file that resolves outside
 * the checkout; 404 for anything else that is not a `.ts` file in it.
 */
export async function serveCheckout(): Promise<CheckoutServer> {
  const root = await Deno.realPath(CHECKOUT);
  const log: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      const response = await serveFile(root, path, request.method);
      log.push(`${response.status} ${path}`);
      return response;
    },
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}/`,
    log,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

async function serveFile(
  root: string,
  urlPath: string,
  method: string,
): Promise<Response> {
  if (method !== "GET") return new Response(null, { status: 405 });
  let segments: string[];
  try {
    segments = urlPath.split("/").slice(1).map(decodeURIComponent);
  } catch {
    return new Response(null, { status: 400 });
  }
  const [prefix = "", ...rest] = segments;
  const type = CONTENT_TYPES.get(prefix);
  if (
    rest.some((s) => s === "" || s.startsWith(".") || /[\\/\0]/.test(s))
  ) {
    return new Response(null, { status: 403 });
  }
  if (!type || !rest.at(-1)?.endsWith(".ts")) {
    return new Response(null, { status: 404 });
  }
  let file: string;
  try {
    file = await Deno.realPath(join(root, ...rest));
    if (!(await Deno.stat(file)).isFile) throw new Deno.errors.NotFound();
  } catch (error) {
    if (
      error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.NotADirectory
    ) {
      return new Response(null, { status: 404 });
    }
    throw error;
  }
  // A symbolic link in the checkout must not lead out of it.
  if (relative(root, file).split(sep)[0] === "..") {
    return new Response(null, { status: 403 });
  }
  return new Response(await Deno.readFile(file), {
    headers: { "content-type": type },
  });
}

/**
 * A fresh Deno cache folder in `dir`, whose `npm` folder is the suite's
 * (Deno keeps npm packages in `$DENO_DIR/npm`); returns the environment
 * that selects it. Removing `dir` removes the link, not the packages.
 */
export async function freshDenoEnv(
  dir: string,
): Promise<Record<string, string>> {
  const shared = await denoEnv();
  assert.ok(shared.DENO_DIR, "denoEnv() names no DENO_DIR");
  await Deno.mkdir(dir, { recursive: true });
  const npm = join(shared.DENO_DIR, "npm");
  try {
    await Deno.lstat(npm);
    await Deno.symlink(npm, join(dir, "npm"));
  } catch (error) {
    // Nothing cached yet: this run downloads the packages itself.
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return { ...shared, DENO_DIR: dir };
}
