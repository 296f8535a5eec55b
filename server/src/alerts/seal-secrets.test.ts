import { randomBytes } from "node:crypto";
import { beforeEach, expect, it } from "vitest";
import { describeBackends, type TestDatabase } from "../../test/backends.js";
import type { SqlClient } from "../db/sql/client.js";
import { migrateSql } from "../db/sql/migrate.js";
import { sealChannelSecrets } from "./seal-secrets.js";
import { createSecretBox, isSealed } from "./secret-box.js";

const T0 = Date.UTC(2026, 4, 3, 12);

describeBackends("alert channel secrets sealed at start", (open) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await open();
    await migrateSql(database.client);
  });

  /** A channel row as an older server stored it: the secret in plain text. */
  const oldRow = (sql: SqlClient, id: string, kind: string, secret: string | null) =>
    sql.run(
      "INSERT INTO alert_channel (id, owner_id, kind, target, secret, min_escalation, created_ms) VALUES (?, 'admin', ?, ?, ?, 0, ?)",
      [id, kind, `https://hooks.example.org/${id}`, secret, T0],
    );
  const stored = async (sql: SqlClient) =>
    Object.fromEntries(
      (await sql.query<{ id: string; secret: string | null }>("SELECT id, secret FROM alert_channel")).map(
        (r) => [r.id, r.secret],
      ),
    );

  it("seals every plain secret once, leaves rows without one alone, and the key opens them", async () => {
    const sql = database.client;
    const push = JSON.stringify({ p256dh: "BPushKey", auth: "authsecret" });
    await oldRow(sql, "c_hook", "webhook", "webhook-secret-0123456789");
    await oldRow(sql, "c_push", "webpush", push);
    await oldRow(sql, "c_mail", "email", null);
    const box = createSecretBox(randomBytes(32));

    expect(await sealChannelSecrets(sql, box)).toEqual({ ok: true, sealed: 2 });
    const after = await stored(sql);
    expect(after.c_mail).toBeNull();
    expect(isSealed(after.c_hook ?? "")).toBe(true);
    expect(box.open(after.c_hook ?? "")).toBe("webhook-secret-0123456789");
    expect(box.open(after.c_push ?? "")).toBe(push);
    expect(JSON.stringify(after)).not.toContain("webhook-secret");
    // The next start finds nothing left to seal and changes nothing.
    expect(await sealChannelSecrets(sql, box)).toEqual({ ok: true, sealed: 0 });
    expect(await stored(sql)).toEqual(after);
  });

  it("two instances starting at once seal each secret once", async () => {
    for (let i = 0; i < 20; i++)
      await oldRow(database.client, `c_${i}`, "webhook", `secret-number-${i}-0123456789`);
    const box = createSecretBox(randomBytes(32));
    const other = await database.connect();
    const [a, b] = await Promise.all([
      sealChannelSecrets(database.client, box),
      sealChannelSecrets(other, box),
    ]);
    expect(a.ok && b.ok && a.sealed + b.sealed).toBe(20);
    const after = await stored(database.client);
    for (let i = 0; i < 20; i++)
      expect(box.open(after[`c_${i}`] ?? "")).toBe(`secret-number-${i}-0123456789`);
  });

  it("a server whose key did not seal them refuses, naming the variable, and changes nothing", async () => {
    await oldRow(database.client, "c_hook", "webhook", "webhook-secret-0123456789");
    await sealChannelSecrets(database.client, createSecretBox(randomBytes(32)));
    await oldRow(database.client, "c_late", "webhook", "written-by-an-older-instance");
    const before = await stored(database.client);
    const refused = await sealChannelSecrets(database.client, createSecretBox(randomBytes(32)));
    expect(refused).toMatchObject({ ok: false });
    expect(refused.ok ? "" : refused.reason).toMatch(
      /^1 of 2 alert channel secrets \(e\.g\. channel c_hook\) were sealed with another key.*COLDTRAIL_SECRET_KEY/,
    );
    expect(await stored(database.client)).toEqual(before);
  });
});
