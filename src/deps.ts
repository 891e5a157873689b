/**
 * Every third-party module the tool uses enters here, with an exact version,
 * so a reader sees all dependencies at a glance. Full `npm:` specifiers (no
 * import map) keep `deno run https://…/mod.ts` working without our deno.json.
 *
 * @module
 */

export {
  getPublicKeyAsync as ed25519GetPublicKey,
  Point as Ed25519Point,
  signAsync as ed25519SignRaw,
  verifyAsync as ed25519VerifyRaw,
} from "npm:@noble/ed25519@3.2.0";
export { parse as parseToml, TomlError } from "npm:smol-toml@1.9.1";
export {
  type ParseError as JsoncParseError,
  printParseErrorCode as jsoncErrorName,
  visit as jsoncVisit,
} from "npm:jsonc-parser@3.3.1";
