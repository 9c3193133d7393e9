import nodemailer from 'nodemailer';

export interface SendResult {
  ok: boolean;
  /** The server's reply code to the failing command, or 250. */
  code: number;
  response: string;
  /** Recipients refused at RCPT while others were accepted, with their reply codes. */
  rejected: Array<{ address: string; code: number }>;
}

/** Sends raw bytes with an explicit envelope over real SMTP on loopback. */
export async function sendRaw(port: number, envelope: { from: string; to: string[] }, raw: Buffer | string): Promise<SendResult> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 10_000 });
  try {
    const info = await transport.sendMail({ envelope, raw });
    const rejected = ((info as { rejectedErrors?: Array<{ recipient: string; responseCode: number }> }).rejectedErrors ?? []).map((e) => ({
      address: e.recipient,
      code: e.responseCode,
    }));
    return { ok: true, code: 250, response: info.response, rejected };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message: string };
    return { ok: false, code: e.responseCode ?? 0, response: e.response ?? e.message, rejected: [] };
  } finally {
    transport.close();
  }
}

/** The same message made unique per n (its own Message-ID), so it is no duplicate. */
export function withMessageId(raw: Buffer, n: number | string): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/^Message-Id: <([^>]+)>/im, `Message-Id: <${n}.$1>`), 'latin1');
}
