/**
 * Test stand-in for the server's static serving: files from a built dashboard, `index.html` for
 * every other non-API path (SPA routing), and `/api/*` forwarded to a real coldtrail server
 * (streamed, so the SSE route works through it too).
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

export interface StaticProxy {
  url: string;
  close(): Promise<void>;
}

export async function serveDashboard(distDir: string, apiUrl: string): Promise<StaticProxy> {
  const api = new URL(apiUrl);
  const server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path.startsWith("/api/") || path === "/healthz") {
      const upstream = request(
        {
          host: api.hostname,
          port: api.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: api.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", (e) => {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "PROXY", message: e.message } }));
      });
      req.pipe(upstream);
      return;
    }
    let file = normalize(join(distDir, decodeURIComponent(path)));
    if (
      !file.startsWith(distDir + sep) ||
      !(await stat(file).then(
        (s) => s.isFile(),
        () => false,
      ))
    )
      file = join(distDir, "index.html");
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      // The strictest policy the README promises works: the tests fail on any violation.
      "content-security-policy": "default-src 'self'",
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
