/** A real SMTP server on loopback (smtp-server) that parses what it receives with mailparser. */
import { simpleParser, type ParsedMail } from "mailparser";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface TestSmtp {
  received: ParsedMail[];
  port: number;
  start(onPort?: number): Promise<number>;
  stop(): Promise<void>;
}

export function testSmtp(): TestSmtp {
  let server: SMTPServer | null = null;
  const smtp: TestSmtp = {
    received: [],
    port: 0,
    start(onPort = 0) {
      const s = new SMTPServer({
        authOptional: true,
        disabledCommands: ["STARTTLS", "AUTH"],
        logger: false,
        size: 10 * 1024 * 1024,
        onData(stream, _session, cb) {
          // keepCidLinks: see the HTML as sent (cid: references), not rewritten to data: URIs.
          simpleParser(stream, { keepCidLinks: true })
            .then((m) => {
              smtp.received.push(m);
              cb();
            })
            .catch(cb);
        },
      });
      server = s;
      return new Promise((resolve) =>
        s.listen(onPort, "127.0.0.1", () => {
          smtp.port = (s.server.address() as AddressInfo).port;
          resolve(smtp.port);
        }),
      );
    },
    stop() {
      const s = server;
      server = null;
      return s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve();
    },
  };
  return smtp;
}

/** The single "To" address of a parsed message. */
export function toAddress(m: ParsedMail): string {
  return Array.isArray(m.to) ? "" : (m.to?.text ?? "");
}
