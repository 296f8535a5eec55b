import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Channel } from "../types.js";
import type { AlertPayload } from "../view.js";
import { createDeliveryThread, type DeliveryThread } from "./thread.js";
import type { GroupedDelivery } from "./types.js";

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function thread(): DeliveryThread {
  const t = createDeliveryThread({
    config: { timeoutMs: 5000, allowPrivate: true, smtpUrl: null, emailFrom: "x <a@b.example>", vapid: null },
    ownPorts: () => [],
    onGone: () => undefined,
    log: { warn: () => undefined },
  });
  closers.push(() => t.stop());
  return t;
}

const item = (n: number, target: string): GroupedDelivery => {
  const channel: Channel = {
    id: "ch-1",
    ownerId: "admin",
    kind: "webhook",
    target,
    secret: null,
    unitIds: null,
    alertKinds: null,
    minEscalation: 0,
    createdMs: 0,
    deletedMs: null,
  };
  const body = JSON.stringify({ n, event: "opened" });
  return {
    alert: JSON.parse(body) as AlertPayload,
    delivery: { deliveryId: `d-${n}`, attempt: 1, body, channel },
  };
};

describe("the delivery thread", () => {
  it("sends a run of one channel's deliveries in order and stops at the first the receiver refuses", async () => {
    const got: string[] = [];
    const server = createServer((req, res) => {
      const id = String(req.headers["x-coldtrail-delivery"]);
      got.push(id);
      res.statusCode = id === "d-2" ? 500 : 204;
      res.end();
      req.resume();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const webhook = thread().media.get("webhook");
    expect(webhook?.sendRun).toBeTypeOf("function");
    const results = await webhook?.sendRun?.([1, 2, 3].map((n) => item(n, url)));
    expect(results).toEqual([{ ok: true }, { ok: false, reason: "webhook answered HTTP 500" }]);
    expect(got).toEqual(["d-1", "d-2"]);
    expect(await webhook?.send(item(3, url).alert, item(3, url).delivery)).toEqual({ ok: true });
    expect(got).toEqual(["d-1", "d-2", "d-3"]);
  });

  it("delivers while the main event loop is blocked", async () => {
    // The receiver is another process: it writes a file when the POST arrives (written aside and
    // renamed, so the file never exists empty while this thread polls for it). This thread then
    // blocks its own event loop, polling for that file synchronously: only a send that does not
    // need this event loop can get there.
    const dir = mkdtempSync(join(tmpdir(), "coldtrail-thread-"));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const flag = join(dir, "arrived");
    const receiver: ChildProcess = spawn(
      process.execPath,
      [
        "-e",
        `const http = require("node:http"); const fs = require("node:fs");
         const s = http.createServer((req, res) => { fs.writeFileSync(${JSON.stringify(`${flag}.tmp`)}, String(req.headers["x-coldtrail-delivery"])); fs.renameSync(${JSON.stringify(`${flag}.tmp`)}, ${JSON.stringify(flag)}); res.statusCode = 204; res.end(); });
         s.listen(0, "127.0.0.1", () => console.log(s.address().port));`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    closers.push(() => void receiver.kill());
    const port = await new Promise<number>((resolve) =>
      receiver.stdout?.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    const t = thread();
    const webhook = t.media.get("webhook");
    const url = `http://127.0.0.1:${port}/hook`;
    // Started (thread booted, connection open) before the test proper.
    expect(await webhook?.send(item(0, url).alert, item(0, url).delivery)).toEqual({ ok: true });
    rmSync(flag);

    const sending = webhook?.send(item(1, url).alert, item(1, url).delivery);
    const giveUpAt = Date.now() + 60_000; // a bail-out for a broken thread, not a measurement
    while (!existsSync(flag) && Date.now() < giveUpAt) {
      // busy: nothing else runs on this event loop meanwhile
    }
    expect(existsSync(flag) && readFileSync(flag, "utf8")).toBe("d-1");
    expect(await sending).toEqual({ ok: true });
  });

  it("offers only the media it was configured for: webhook, without an SMTP URL or VAPID keys", async () => {
    const t = thread();
    expect([...t.media.keys()]).toEqual(["webhook"]);
  });
});
