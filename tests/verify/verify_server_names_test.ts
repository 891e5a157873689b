/**
 * The checks on names around a signed config's servers
 * (src/verify/verify_server_names.ts, docs/FORMAT.md "Server files"): a
 * case twin of a signed server file, and a program shadowing a bare
 * command in the server's folder.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  canonicalFolder,
  canonicalPath,
  verifyServerNames,
} from "../../src/verify/verify_server_names.ts";
import { canonicalName } from "../../src/configs/path_names.ts";
import type { SignedConfig } from "../../src/verify/signed_config.ts";

// Only the fields the check reads; the rest of a SignedConfig is the
// verifier's.
function config(
  paths: string[] | undefined,
  files: string[],
  bareCommands: {
    name: string;
    folder: string;
    extensionsOnly?: boolean;
  }[] = [],
): SignedConfig {
  return {
    paths,
    bareCommands,
    signed: {
      statement: { files: files.map((path) => ({ path, sha256: "0" })) },
    },
  } as unknown as SignedConfig;
}

const TAMPERED = { code: "TAMPERED" };

Deno.test("verifyServerNames: a signed file alone passes", () => {
  verifyServerNames(config(["dist/Server.js", "x"], ["dist/Server.js"]));
});

Deno.test("verifyServerNames: a case twin of a signed file fails", () => {
  for (const twin of ["dist/server.js", "DIST/Server.js", "dist/Server.js."]) {
    assert.throws(
      () =>
        verifyServerNames(
          config(["dist/Server.js", twin], ["dist/Server.js"]),
        ),
      TAMPERED,
      twin,
    );
  }
});

Deno.test("verifyServerNames: a program named like a bare command in the server's folder fails", () => {
  const npx = [{ name: "npx", folder: "app" }];
  for (const path of ["app/npx", "app/NPX.CMD", "app/npx.ps1", "app/Npx.Exe"]) {
    assert.throws(
      () => verifyServerNames(config([path], [], npx)),
      TAMPERED,
      path,
    );
  }
  for (const path of ["npx.cmd", "app/sub/npx.cmd", "app/npx.js", "app/npxx"]) {
    verifyServerNames(config([path], [], npx));
  }
});

Deno.test("verifyServerNames: nothing is checked without a listing", () => {
  verifyServerNames(config(undefined, ["a"], [{ name: "a", folder: "" }]));
});

Deno.test("verifyServerNames: an envFile the statement does not name fails when listed", () => {
  const withEnv = (paths: string[], files: string[]) =>
    ({
      ...config(paths, files),
      envFiles: [{ path: "app/.env", server: "s" }],
    }) as SignedConfig;
  for (const path of ["app/.env", "app/.ENV"]) {
    assert.throws(() => verifyServerNames(withEnv([path], [])), TAMPERED, path);
  }
  verifyServerNames(withEnv(["app/.env"], ["app/.env"]));
  verifyServerNames(withEnv(["app/.env.example", ".env"], []));
});

Deno.test("verifyServerNames: a listed file a server's words name, not signed, fails", () => {
  const named = (paths: string[], files: string[]) =>
    ({
      ...config(paths, files),
      named: [
        { path: "build/server.jar", server: "s", folder: true, glob: false },
        { path: "srv", server: "s", folder: true, glob: false },
        { path: "lib/*.jar", server: "s", folder: false, glob: true },
      ],
    }) as SignedConfig;
  for (
    const path of [
      "build/server.jar",
      "Build/Server.JAR",
      "srv/index.js",
      "lib/dep.jar",
    ]
  ) {
    assert.throws(
      () => verifyServerNames(named([path], [])),
      TAMPERED,
      path,
    );
  }
  // Signed, or a named folder the statement signs files of, or no match.
  verifyServerNames(named(["build/server.jar"], ["build/server.jar"]));
  verifyServerNames(named(["srv/new.js"], ["srv/index.js"]));
  verifyServerNames(named(["lib/readme.md", "build/other.jar"], []));
});

Deno.test("verifyServerNames: a relative command's PATHEXT look-alikes fail, not the command", () => {
  const commands = [{
    name: "server",
    folder: "scripts",
    extensionsOnly: true,
  }];
  verifyServerNames(config(["scripts/server"], ["scripts/server"], commands));
  for (const path of ["scripts/server.cmd", "scripts/SERVER.Exe"]) {
    assert.throws(
      () => verifyServerNames(config([path], [], commands)),
      TAMPERED,
      path,
    );
  }
});

Deno.test("canonicalPath: each segment as canonicalName makes it, fast path or not", () => {
  const paths = [
    "packages/P0001/.MCP.json",
    "a./B",
    "a/b.",
    "a /b",
    "a/b ",
    "x/.",
    "x/..",
    "Dir. . /File",
    "caf\u00e9/Cafe\u0301",
    "S\u017fX/y",
    "tab\there/x",
    "a\u200cb/C",
    "plain/lower/path",
    "UPPER/CASE",
  ];
  for (const path of paths) {
    // Asked twice: the first answer may be remembered, the second read back.
    for (let round = 0; round < 2; round++) {
      assert.equal(
        canonicalPath(path),
        path.split("/").map(canonicalName).join("/"),
        path,
      );
    }
    const at = path.lastIndexOf("/");
    assert.equal(
      canonicalFolder(`${path}/leaf`),
      canonicalPath(path),
      `${path}/leaf`,
    );
    if (at >= 0) {
      assert.equal(canonicalFolder(path), canonicalPath(path.slice(0, at)));
    }
  }
});

Deno.test("canonicalPath: every path of up to five characters from a hostile alphabet is each segment's canonicalName (red team 14)", () => {
  // The fast path takes printable ASCII without a segment ending in a dot
  // or a space; these characters sit on each side of that line: case,
  // dots and spaces at a segment's end or alone ("." and ".."), empty
  // segments, a tab, "ſ" (folds to "s"), "~" (8.3 names) and "\\".
  const alphabet = ["a", "S", ".", " ", "/", "\t", "\u017f", "~", "\\"];
  let paths = [""];
  let checked = 0;
  for (let length = 1; length <= 5; length++) {
    paths = paths.flatMap((path) => alphabet.map((c) => path + c));
    for (const path of paths) {
      const expected = path.split("/").map(canonicalName).join("/");
      assert.equal(canonicalPath(path), expected, JSON.stringify(path));
      checked++;
    }
  }
  assert.equal(checked, (9 ** 6 - 9) / 8);
});
