import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/**
 * TEST DOUBLE of the coldtrail server's two registration routes (DESIGN.md, "HTTP API"):
 * `POST /api/v1/units` and `POST /api/v1/probes`, with the bootstrap bearer token and the documented
 * error shape. It exists only because the real server is being written at the same time; once it
 * lands, these tests should run against `server` itself.
 */
export interface ServerDouble {
  url: string;
  units: { id: string; name: string; kind: string }[];
  probes: { id: string; secret: string; name?: string; unitId?: string }[];
  requests: { method: string; path: string; auth: string | undefined }[];
  close(): Promise<void>;
}

export async function startServerDouble(token: string, mqttUrl: string): Promise<ServerDouble> {
  const units: ServerDouble["units"] = [];
  const probes: ServerDouble["probes"] = [];
  const requests: ServerDouble["requests"] = [];
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string) =>
    send(res, status, { error: { code, message } });

  const server: Server = createServer(async (req: IncomingMessage, res) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "", auth: req.headers.authorization });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.headers.authorization !== `Bearer ${token}`)
      return fail(res, 401, "unauthorized", "missing or wrong bearer token");
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return fail(res, 400, "bad_request", "body is not JSON");
    }
    if (req.method === "POST" && req.url === "/api/v1/units") {
      if (typeof body.name !== "string" || !["freezer", "fridge", "cool-bag"].includes(String(body.kind)))
        return fail(res, 400, "validation", "name and kind (freezer, fridge, cool-bag) are required");
      const id = `unit-${units.length + 1}`;
      units.push({ id, name: body.name, kind: String(body.kind) });
      return send(res, 201, { id });
    }
    if (req.method === "POST" && req.url === "/api/v1/probes") {
      if (body.unitId !== undefined && !units.some((u) => u.id === body.unitId))
        return fail(res, 404, "not_found", `unit ${String(body.unitId)} does not exist`);
      const id = `probe-${randomBytes(4).toString("hex")}`;
      const secret = randomBytes(16).toString("base64url");
      probes.push({ id, secret, name: body.name as string, unitId: body.unitId as string });
      return send(res, 201, {
        id,
        secret,
        mqtt: { url: mqttUrl, username: id, topic: `coldtrail/v1/probes/${id}/readings` },
      });
    }
    return fail(res, 404, "not_found", `no route ${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    units,
    probes,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
