/**
 * A real SMTP server on loopback for the tests and benches that read what coldtrail emails: every
 * accepted message with its envelope recipients and raw text. `onMail` sees each message first and
 * may hold it (return a promise) or refuse it for now ("refuse": 451, the sender retries).
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  /** Envelope recipients. */
  to: string[];
  raw: string;
  /** 1 for the first message offered, counting refused ones. */
  n: number;
}

/** "refuse": a temporary refusal (451); anything else accepts the message. */
type MailAnswer = "refuse" | undefined;

export interface SmtpInbox {
  /** The accepted messages, in the order they were accepted. */
  mails: ReceivedMail[];
  port: number;
  /** `smtp://127.0.0.1:<port>`, for COLDTRAIL_SMTP_URL. */
  url: string;
  close(): Promise<void>;
}

export async function startSmtpInbox(
  opts: { port?: number; onMail?: (mail: ReceivedMail) => MailAnswer | Promise<MailAnswer> } = {},
): Promise<SmtpInbox> {
  const mails: ReceivedMail[] = [];
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      const mail = { to: session.envelope.rcptTo.map((r) => r.address), raw: "", n: ++n };
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        mail.raw = Buffer.concat(chunks).toString("utf8");
        if ((await opts.onMail?.(mail)) === "refuse")
          return cb(Object.assign(new Error("try again later"), { responseCode: 451 }));
        mails.push(mail);
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    mails,
    port,
    url: `smtp://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
