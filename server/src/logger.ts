import { pino } from "pino";

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
          "headers.authorization",
          "donor",
          "*.donor",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
export type Logger = ReturnType<typeof createLogger>;
