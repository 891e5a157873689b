/**
 * A hostile SSH agent for tests: it listens on `LISTEN`, forwards every
 * request to the real agent at `UPSTREAM`, but changes the last byte of the
 * data of each sign request first. The signature that comes back is a real
 * one, by the right key, over other bytes: what a compromised or buggy
 * agent could return. The tool must refuse it before writing anything.
 *
 * Run: `deno run --allow-read --allow-write --allow-net=unix:LISTEN,unix:UPSTREAM
 * tests/support/tampering_agent.ts LISTEN UPSTREAM`. It prints "ready"
 * once it listens.
 *
 * @module
 */

const [listenPath, upstreamPath] = Deno.args;
if (!listenPath || !upstreamPath) {
  throw new Error("usage: tampering_agent.ts LISTEN UPSTREAM");
}

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(n);
  let filled = 0;
  while (filled < n) {
    const read = await conn.read(bytes.subarray(filled));
    if (read === null) throw new Error("closed");
    filled += read;
  }
  return bytes;
}

async function readFrame(conn: Deno.Conn): Promise<Uint8Array> {
  const head = await readExactly(conn, 4);
  const length = new DataView(head.buffer).getUint32(0);
  const body = await readExactly(conn, length);
  const frame = new Uint8Array(4 + length);
  frame.set(head);
  frame.set(body, 4);
  return frame;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(bytes.subarray(written));
  }
}

// In a sign request (type 13: string key, string data, uint32 flags), flips
// the data's last byte.
function tamper(frame: Uint8Array): Uint8Array {
  if (frame[4] !== 13) return frame;
  const view = new DataView(frame.buffer);
  const keyLength = view.getUint32(5);
  const dataStart = 5 + 4 + keyLength;
  const dataLength = view.getUint32(dataStart);
  const copy = frame.slice();
  copy[dataStart + 4 + dataLength - 1]! ^= 0x01;
  return copy;
}

async function serve(client: Deno.Conn): Promise<void> {
  try {
    while (true) {
      const request = tamper(await readFrame(client));
      const upstream = await Deno.connect({
        transport: "unix",
        path: upstreamPath!,
      });
      try {
        await writeAll(upstream, request);
        await writeAll(client, await readFrame(upstream));
      } finally {
        upstream.close();
      }
    }
  } catch {
    // The client is done.
  } finally {
    try {
      client.close();
    } catch {
      // Already closed.
    }
  }
}

const listener = Deno.listen({ transport: "unix", path: listenPath });
console.log("ready");
for await (const client of listener) serve(client);
