/**
 * The alert bench's receivers in a process of their own, as they are in production (another
 * machine): a webhook endpoint, an SMTP server and an SSE client. In the server's process they
 * would wait for its busy event loop like the server does, and count that wait twice. Each tells
 * the parent (IPC) when the "excursion opened" alert of a unit first reached it, in epoch ms.
 *
 * Run by `startAlertReceivers()` below; `node --import tsx bench/alert-receivers.ts` is the child.
 */
import { type ChildProcess, fork } from "node:child_process";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { startSmtpInbox } from "../server/test/smtp-inbox.js";

export interface Arrival {
  channel: "webhook" | "email" | "sse";
  unitId: string;
  atMs: number;
}

type ToChild = { sse: { url: string; token: string } } | { close: true };
type FromChild = { ready: { webhookUrl: string; smtpUrl: string } } | { arrival: Arrival } | { closed: true };

export async function startAlertReceivers(onArrival: (a: Arrival) => void): Promise<{
  webhookUrl: string;
  smtpUrl: string;
  startSse(url: string, token: string): void;
  close(): Promise<void>;
}> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--child"], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = await new Promise<{ webhookUrl: string; smtpUrl: string }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`alert receivers exited with ${code}`)));
    child.on("message", (m: FromChild) => {
      if ("ready" in m) resolve(m.ready);
      else if ("arrival" in m) onArrival(m.arrival);
    });
  });
  const send = (m: ToChild) => child.send(m);
  return {
    ...ready,
    startSse: (url, token) => send({ sse: { url, token } }),
    close: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners("exit");
        child.once("exit", () => resolve());
        send({ close: true });
      }),
  };
}

async function runChild(): Promise<void> {
  const tell = (m: FromChild) => process.send?.(m);
  const seen = new Set<string>();
  const note = (channel: Arrival["channel"], unitId: string) => {
    const atMs = Date.now();
    if (seen.has(`${channel} ${unitId}`)) return;
    seen.add(`${channel} ${unitId}`);
    tell({ arrival: { channel, unitId, atMs } });
  };
  const hook = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => {
      const a = JSON.parse(body) as { kind: string; state: string; unitId: string };
      if (a.kind === "excursion" && a.state === "open") note("webhook", a.unitId);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
  const smtp = await startSmtpInbox({
    onMail({ raw }) {
      // One alert a message, or several alerts to one address grouped in one message: each
      // section names its unit under its own subject line ("1. Freezer too warm: …").
      const [head = "", ...rest] = raw
        .replace(/=\r?\n/g, "")
        .replace(/\r\n/g, "\n")
        .split("\n\n");
      const body = rest.join("\n\n");
      const grouped = /^\d+ alerts, oldest first\./.test(body);
      const sections = grouped ? body.split("\n----\n") : [body];
      for (const section of sections) {
        const unit = /\/units\/(u_[a-z0-9]+)/.exec(section)?.[1];
        const subject = grouped ? (/^\d+\. (.*)$/m.exec(section)?.[1] ?? "") : head;
        if (unit && !/^(Subject: )?(Resolved|Acknowledged)/im.test(subject)) note("email", unit);
      }
      return undefined;
    },
  });
  let sse: ReturnType<typeof request> | null = null;
  process.on("message", (m: ToChild) => {
    if ("sse" in m) {
      const url = new URL(m.sse.url);
      sse = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          headers: { authorization: `Bearer ${m.sse.token}` },
        },
        (res) => {
          let buf = "";
          res.on("data", (d: Buffer) => {
            buf += d.toString();
            let i = buf.indexOf("\n\n");
            while (i >= 0) {
              const data = /^data: (.*)$/m.exec(buf.slice(0, i))?.[1];
              buf = buf.slice(i + 2);
              if (data) {
                const a = JSON.parse(data) as { kind: string; state: string; unitId: string };
                if (a.kind === "excursion" && a.state === "open") note("sse", a.unitId);
              }
              i = buf.indexOf("\n\n");
            }
          });
          res.on("error", () => undefined);
        },
      );
      sse.on("error", () => undefined);
      sse.end();
    } else {
      // Nothing to keep: the parent has read every arrival.
      sse?.destroy();
      process.exit(0);
    }
  });
  tell({
    ready: {
      webhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`,
      smtpUrl: smtp.url,
    },
  });
}

if (process.argv.includes("--child")) await runChild();
