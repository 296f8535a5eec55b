/** The PostgreSQL test harness (./postgres.ts) that the SQL contract suites stand on. */
import { existsSync, statSync } from "node:fs";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { startPostgres } from "./postgres.js";

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe.skipIf(
  process.env.COLDTRAIL_SKIP_POSTGRES === "1" || Boolean(process.env.COLDTRAIL_TEST_DATABASE_URL),
)("startPostgres", () => {
  it("runs a server of its own on loopback, a database per caller, and removes its folder on stop", async () => {
    const server = await startPostgres();
    const dir = server.dir as string;
    try {
      expect(new URL(server.url).hostname).toBe("127.0.0.1");
      if (process.getuid?.() === 0) {
        // PostgreSQL refuses root: the folder belongs to the postgres user it runs as.
        expect(statSync(dir).uid).not.toBe(0);
      }
      const one = await server.createDatabase("harness");
      const two = await server.createDatabase("harness");
      expect(one).not.toBe(two);
      await withClient(one, (c) => c.query("CREATE TABLE only_here (x INTEGER)"));
      const seen = await withClient(
        two,
        async (c) =>
          (await c.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_here'")).rows,
      );
      expect(seen).toEqual([{ n: 0 }]);
      await server.dropDatabase(one);
      await expect(withClient(one, async () => "connected")).rejects.toThrow(/does not exist/);
    } finally {
      await server.stop();
    }
    expect(existsSync(dir)).toBe(false);
    await expect(withClient(server.url, async () => "connected")).rejects.toThrow();
  });
});
