/**
 * A real Server-Sent Events connection for tests, over node:http: destroying its socket closes the
 * connection at once, where an aborted fetch leaves undici's socket open for a few seconds.
 */
import { type ClientRequest, type IncomingMessage, request } from "node:http";

/** One event as the server framed it: `id:`, `event:` and the JSON of `data:`. */
export interface SseMessage {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

export interface SseStream<T> {
  contentType: string | undefined;
  /** Every event heard so far, in arrival order (grows while the stream is open). */
  events: T[];
  close(): void;
}

/** Opens `url` with a bearer token (and Last-Event-ID when given); `map` shapes each event kept. */
export async function openSseStream<T = SseMessage>(
  url: string,
  token: string,
  opts: { lastEventId?: number; map?: (m: SseMessage) => T } = {},
): Promise<SseStream<T>> {
  const map = opts.map ?? ((m: SseMessage) => m as T);
  const events: T[] = [];
  let buf = "";
  const { req, res } = await new Promise<{ req: ClientRequest; res: IncomingMessage }>((resolve, reject) => {
    const req = request(
      url,
      {
        headers: {
          authorization: `Bearer ${token}`,
          ...(opts.lastEventId !== undefined && { "last-event-id": String(opts.lastEventId) }),
        },
      },
      (res) => resolve({ req, res }),
    );
    req.on("error", reject);
    req.end();
  });
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => {
    buf += chunk;
    let i = buf.indexOf("\n\n");
    while (i >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const f: Record<string, string> = {};
      for (const line of block.split("\n")) {
        const m = /^([a-z]+): ?(.*)$/.exec(line);
        if (m) f[m[1] as string] = m[2] as string;
      }
      if (f.data) events.push(map({ id: Number(f.id), event: f.event as string, data: JSON.parse(f.data) }));
      i = buf.indexOf("\n\n");
    }
  });
  res.on("error", () => {});
  return { contentType: res.headers["content-type"], events, close: () => req.destroy() };
}
