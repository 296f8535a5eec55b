/**
 * The delivery thread's side (thread.ts starts it): the network media (webhook, email, web push)
 * built from the config it was started with, sending what the main thread asks and answering with
 * each outcome. It keeps no state of its own beyond open connections: the outbox, on the main
 * thread, stays the record of what was delivered.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createLaneChain } from "./lane-chain.js";
import { createChannels } from "./registry.js";
import type { DeliveryThreadConfig, ThreadReply, ThreadRequest } from "./thread.js";
import { type SendResult, sendInOrder } from "./types.js";

const port = parentPort;
if (!port) throw new Error("thread-worker.ts runs only as the delivery thread (channels/thread.ts)");
const config = workerData as DeliveryThreadConfig;
const reply = (m: ThreadReply) => port.postMessage(m);

// The server's own ports, as of the latest request (they are known only once it listens).
let ownPorts: readonly number[] = [];
const media = createChannels({
  timeoutMs: config.timeoutMs,
  webhookPolicy: { allowPrivate: config.allowPrivate, ownPorts: () => ownPorts },
  smtpUrl: config.smtpUrl,
  emailFrom: config.emailFrom,
  mqttPublish: null,
  activeOfUnit: async () => [],
  now: Date.now,
  ...(config.timeZone !== undefined && { timeZone: config.timeZone }),
  vapid: config.vapid,
  onPushGone: (channelId) => reply({ gone: channelId }),
});

const lanes = createLaneChain();

async function handle(m: Extract<ThreadRequest, { op: "send" | "group" | "run" }>): Promise<SendResult[]> {
  const medium = media.channels.get(m.kind);
  if (!medium) return [{ ok: false, reason: `no ${m.kind} sender configured on this server` }];
  const threw = (e: Error) => ({ ok: false as const, reason: `send threw: ${e.message}` });
  const [first] = m.items;
  if (!first) return [];
  if (m.op === "group" && medium.sendGroup) return [await medium.sendGroup(m.items).catch(threw)];
  if (m.op === "run") return sendInOrder(medium, m.items);
  return [await medium.send(first.alert, first.delivery).catch(threw)];
}

port.on("message", (m: ThreadRequest) => {
  if (m.op === "stop") {
    void media.close().then(() => {
      reply({ id: m.id, stopped: true });
      port.close();
    });
    return;
  }
  ownPorts = m.ownPorts;
  const sending = m.order
    ? lanes.run(m.order, m.op === "group" ? 1 : m.items.length, () => handle(m))
    : handle(m);
  void sending.then((results) => reply({ id: m.id, results }));
});
reply({ ready: true });
