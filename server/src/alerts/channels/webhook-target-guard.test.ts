import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Channel } from "../types.js";
import type { AlertPayload } from "../view.js";
import { createWebhookChannel } from "./webhook.js";
import { postJson } from "./webhook-post.js";
import {
  checkTargetAtDelivery,
  checkTargetUrl,
  type WebhookTargetPolicy,
  withoutUserinfo,
} from "./webhook-target-guard.js";

const PUBLIC_ONLY: WebhookTargetPolicy = { allowPrivate: false, ownPorts: () => [8080, 1883] };
const LAN: WebhookTargetPolicy = { allowPrivate: true, ownPorts: () => [8080, 1883] };

describe("webhook target guard at channel creation", () => {
  it.each([
    ["http://127.0.0.1/hook", "loopback"],
    ["http://2130706433/hook", "loopback"],
    ["http://0x7f000001/hook", "loopback"],
    ["http://127.1/hook", "loopback"],
    ["http://[::1]/hook", "loopback ::1"],
    ["http://[::ffff:127.0.0.1]/hook", "loopback"],
    ["http://[::ffff:7f00:1]/hook", "loopback"],
    ["http://0.0.0.0:9000/hook", "unspecified"],
    ["http://[::]/hook", "unspecified"],
    ["http://169.254.169.254/latest/meta-data", "link-local"],
    ["http://[fe80::1]/hook", "link-local"],
    ["http://10.1.2.3/hook", "private 10.0.0.0/8"],
    ["http://172.20.0.5/hook", "private 172.16.0.0/12"],
    ["http://192.168.1.10:8123/api/webhook/x", "private 192.168.0.0/16"],
    ["http://[fd00::5]/hook", "unique-local"],
    ["http://[64:ff9b::a9fe:a9fe]/hook", "link-local"],
    ["http://localhost:9000/hook", "localhost"],
    ["http://localhost.:9000/hook", "localhost"],
    ["http://hooks.localhost/x", "localhost"],
  ])("refuses %s, naming the rule (%s)", (target, rule) => {
    const why = checkTargetUrl(target, PUBLIC_ONLY);
    expect(why).toContain(rule);
    expect(why).toContain("COLDTRAIL_WEBHOOK_ALLOW_PRIVATE=1");
  });

  it("lets public addresses and names through (names are checked again at delivery)", () => {
    expect(checkTargetUrl("https://hooks.example/coldtrail", PUBLIC_ONLY)).toBeNull();
    expect(checkTargetUrl("http://93.184.215.14/hook", PUBLIC_ONLY)).toBeNull();
    expect(checkTargetUrl("http://[2606:4700::1111]/hook", PUBLIC_ONLY)).toBeNull();
  });

  it("with COLDTRAIL_WEBHOOK_ALLOW_PRIVATE, private and loopback receivers are fine but never the server's own ports", () => {
    expect(checkTargetUrl("http://192.168.1.10:8123/api/webhook/x", LAN)).toBeNull();
    expect(checkTargetUrl("http://127.0.0.1:9000/hook", LAN)).toBeNull();
    expect(checkTargetUrl("http://127.0.0.1:8080/api/v1/units", LAN)).toContain("this server's own port");
    expect(checkTargetUrl("http://127.1:1883/", LAN)).toContain("this server's own port");
    expect(checkTargetUrl("http://[::1]:8080/", LAN)).toContain("this server's own port");
    // Multicast is never a receiver.
    expect(checkTargetUrl("http://224.0.0.1/hook", LAN)).toContain("multicast");
  });
});

describe("webhook target guard at delivery", () => {
  it("refuses a name that resolves to this machine or a private network (DNS checked when sending)", async () => {
    // This machine's own name resolves (through /etc/hosts) to a loopback or private address.
    const r = await checkTargetAtDelivery(`http://${hostname()}:9000/hook`, PUBLIC_ONLY);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.reason).toMatch(
      new RegExp(`webhook host ${hostname()} resolves to .* is in (loopback|private|link-local)`),
    );
  });

  it("the connection itself checks the address it resolves (no second DNS answer after the check)", async () => {
    const r = await postJson(new URL(`http://${hostname()}:9/hook`), {}, "{}", {
      timeoutMs: 5000,
      policy: PUBLIC_ONLY,
    });
    expect(r).toEqual({
      error: expect.stringMatching(new RegExp(`^EWEBHOOKTARGET: webhook host ${hostname()} resolves to `)),
    });
  });

  it("says so when a name does not resolve", async () => {
    const r = await checkTargetAtDelivery("http://no-such-host.invalid/hook", PUBLIC_ONLY);
    expect(r.ok ? "" : r.reason).toContain("webhook host no-such-host.invalid does not resolve");
  });

  it("drops user and password from URLs meant for logs", () => {
    expect(withoutUserinfo("https://alice:s3cret@hooks.example/x?y=1")).toBe("https://hooks.example/x?y=1");
  });
});

describe("webhook channel against a real receiver", () => {
  let server: Server;
  let port: number;
  const seen: IncomingMessage[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      if (req.url === "/redirect") {
        res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data" }).end();
        return;
      }
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const channel = (target: string): Channel =>
    ({ id: "ch1", kind: "webhook", target, secret: "webhook-secret-0123456789" }) as unknown as Channel;
  const send = (target: string, policy: WebhookTargetPolicy) =>
    createWebhookChannel({ timeoutMs: 5000, policy }).send({ event: "opened" } as unknown as AlertPayload, {
      deliveryId: "d1",
      attempt: 1,
      body: "{}",
      channel: channel(target),
    });

  it("refuses to send to a loopback receiver without COLDTRAIL_WEBHOOK_ALLOW_PRIVATE, and the receiver sees nothing", async () => {
    const before = seen.length;
    const r = await send(`http://127.0.0.1:${port}/hook`, PUBLIC_ONLY);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^refused: .*loopback 127\.0\.0\.0\/8/) });
    expect(seen.length).toBe(before);
  });

  it("does not follow a redirect (it could point anywhere)", async () => {
    const r = await send(`http://127.0.0.1:${port}/redirect`, { allowPrivate: true, ownPorts: () => [] });
    expect(r).toEqual({ ok: false, reason: "webhook answered HTTP 302" });
  });

  it("sends a URL's user:password as Basic authentication, and no failure reason carries the password", async () => {
    const ok = await send(`http://hook-user:pa55-w0rd@127.0.0.1:${port}/hook`, {
      allowPrivate: true,
      ownPorts: () => [],
    });
    expect(ok).toEqual({ ok: true });
    expect(seen.at(-1)?.headers.authorization).toBe(
      `Basic ${Buffer.from("hook-user:pa55-w0rd").toString("base64")}`,
    );
    // Nobody listens on the server's closed port: the failure reason names the URL without userinfo.
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const failed = await send(`http://hook-user:pa55-w0rd@127.0.0.1:${closed}/hook`, {
      allowPrivate: true,
      ownPorts: () => [],
    });
    expect(failed.ok).toBe(false);
    expect(JSON.stringify(failed)).not.toContain("pa55-w0rd");
  });
});
