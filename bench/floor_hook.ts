/**
 * The floor of a signing pre-commit hook started with `deno run`, for the
 * commit benchmark (`floor-deno`): what any such hook must ask Git, and
 * nothing of the tool. It finds the repository, reads the staged changes and
 * the staged bytes of `.mcp.json`, writes `floor.out` (the bytes' SHA-256,
 * where a signature would go) and stages it, one Git process at a time as the
 * answers depend on each other. No key, no parsing, no signing: the
 * difference between this and the tool's hook is what the tool's own code
 * costs a commit, and this against Git's SSH-signed commit is the least
 * any hook started this way can cost.
 *
 * @module
 */

async function git(args: string[]): Promise<Uint8Array<ArrayBuffer>> {
  const output = await new Deno.Command("git", {
    args,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) {
    console.error(`floor hook: git ${args[0]} failed`);
    Deno.exit(1);
  }
  return output.stdout;
}

await git(["rev-parse", "--show-toplevel", "--absolute-git-dir"]);
const staged = new TextDecoder().decode(
  await git(["diff", "--cached", "--raw", "-z", "--no-abbrev"]),
);
if (staged.includes("\0.mcp.json\0")) {
  const bytes = await git(["cat-file", "blob", ":.mcp.json"]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  await Deno.writeTextFile(
    "floor.out",
    `${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}\n`,
  );
  await git(["update-index", "--add", "--", "floor.out"]);
}
