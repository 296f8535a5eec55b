import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";

/**
 * Security headers on every answer (issue #14) by @fastify/helmet: X-Content-Type-Options nosniff,
 * X-Frame-Options and frame-ancestors (no framing, against clickjacking), Referrer-Policy
 * no-referrer (a passport URL carries its code), and a Content Security Policy the dashboard
 * passes: its own scripts and styles only (it has no inline ones), API calls and the alert stream
 * to the same origin. No upgrade-insecure-requests: a LAN install over plain http must still load.
 */
export const CONTENT_SECURITY_POLICY = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:"],
  "font-src": ["'self'"],
  "connect-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'none'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
};

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    referrerPolicy: { policy: "no-referrer" },
    frameguard: { action: "deny" },
    // Plain http on a LAN is a supported install; HSTS belongs to the TLS proxy in front.
    strictTransportSecurity: false,
  });
}
