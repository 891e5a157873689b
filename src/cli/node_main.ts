/**
 * The entry point of the npm bundle and the Node single executable
 * (scripts/build.ts bundles from here). Node's CommonJS output allows no
 * top-level `await`, so this only starts {@linkcode runProcessMain}, once
 * the MCP SDK is set to come from its own bundle (see src/deps.ts,
 * `loadBundlesWith`).
 *
 * @module
 */

import process from "node:process";
import { loadBundlePart } from "../_runtime/bundle_part.ts";
import { syncEd25519Verifier } from "../_runtime/ed25519_verify.ts";
import { useSyncEd25519Verify } from "../crypto/ed25519.ts";
import { loadBundlesWith } from "../deps.ts";
import { runProcessMain } from "./process_main.ts";

// The bundle's CommonJS wrapper defines __filename: this script's real
// path, where npm's link to it is resolved (its parts lie beside it).
loadBundlesWith((part) => loadBundlePart(part, __filename));
// Ed25519 on this thread where WebCrypto would go to the thread pool and
// back (src/_runtime/ed25519_verify.ts).
useSyncEd25519Verify(syncEd25519Verifier());

runProcessMain().catch((error: unknown) => {
  // main() turns every error into a message; reaching here is a bug.
  console.error(error);
  process.exitCode = 1;
});
