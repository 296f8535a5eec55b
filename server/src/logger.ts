import { pino } from "pino";

/** Query parameters whose values are credentials (the alert stream takes `?token=`). */
const SECRET_QUERY_KEYS = /^(token|access_token|secret|password|key|code)$/i;

/**
 * A URL (absolute, or a request path with its query) fit for a log line: the values of
 * credential-like query parameters, invitation tokens in the path and any user:password replaced
 * by "[redacted]".
 */
export function urlForLog(url: unknown): unknown {
  if (typeof url !== "string") return url;
  return (
    url
      .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, "$1[redacted]@")
      // An invitation's token is the path itself: /api/v1/invitations/{token}/accept.
      .replace(/(\/invitations\/)[^/?#]+/gi, "$1[redacted]")
      .replace(/([?&])([^=&#]+)=([^&#]*)/g, (whole, sep: string, key: string) => {
        let name = key;
        try {
          name = decodeURIComponent(key);
        } catch {
          // judged as sent
        }
        return SECRET_QUERY_KEYS.test(name) ? `${sep}${key}=[redacted]` : whole;
      })
  );
}

/** One structured line per event; secrets and donor identity never reach the log. */
export function createLogger(level: string, destination?: pino.DestinationStream) {
  return pino(
    {
      level,
      base: { service: "coldtrail" },
      redact: {
        paths: [
          "secret",
          "*.secret",
          "password",
          "*.password",
          "token",
          "*.token",
          "req.headers.authorization",
          "req.headers.cookie",
          'req.headers["set-cookie"]',
          "headers.authorization",
          "headers.cookie",
          'headers["set-cookie"]',
          "*.headers.authorization",
          "*.headers.cookie",
          "donor",
          "*.donor",
        ],
        censor: "[redacted]",
      },
      // Any `url` (and a request's url) logged anywhere loses its credentials first.
      serializers: {
        url: urlForLog,
        target: urlForLog,
        req: (req: { url?: unknown } & Record<string, unknown>) =>
          req && typeof req === "object" ? { ...req, url: urlForLog(req.url) } : req,
      },
    },
    destination,
  );
}
export type Logger = ReturnType<typeof createLogger>;
