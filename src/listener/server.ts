import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

// smtp-server 3.21 waits a fixed 100 ms before its 220 greeting so that it can refuse
// "early talkers" (clients that send before the greeting, a spam-bot habit). There is no
// option for it, and with one bounce per connection (the usual way MTAs deliver DSNs) it
// caps the server at ~10 messages/s per concurrent connection (../shared/MEASURED.md).
//
// This subclass makes the delay configurable. It replaces exactly two methods:
//  - SMTPServer.connect(): identical to upstream but constructs our connection class;
//  - SMTPConnection.init(): identical to upstream but with `greetingDelayMs` for the 100.
// Early talkers are still refused ("421 You talk too soon") whenever they send before the
// greeting, because `_ready` is set only when the greeting is sent. Checked against
// smtp-server 3.21.6; test/listener/greeting.test.ts fails if upstream changes under it.

type Internals = {
  _setListeners(cb: () => void): void;
  _server: { options: SMTPServerOptions; connections: Set<unknown> };
  send(code: number, text: string, context?: string | false): void;
  connectionReady(): void;
  name: string;
};

class PromptConnection extends SMTPConnection {
  greetingDelayMs = 0;

  override init(): void {
    const self = this as unknown as Internals;
    self._setListeners(() => {
      const max = self._server.options.maxClients;
      if (max && self._server.connections.size > max) {
        return self.send(421, `${self.name} Too many connected clients, try again in a moment`, false);
      }
      const timer = setTimeout(() => self.connectionReady(), this.greetingDelayMs);
      timer.unref();
    });
  }
}

export class BouncedSmtpServer extends SMTPServer {
  constructor(
    options: SMTPServerOptions,
    private readonly greetingDelayMs: number,
    private readonly maxSessionMs: number,
  ) {
    super(options);
  }

  override connect(socket: Socket, socketOptions?: unknown): void {
    const connection = new PromptConnection(this, socket, socketOptions as never);
    connection.greetingDelayMs = this.greetingDelayMs;
    this.connections.add(connection);
    const events = this as unknown as { _onError(e: Error): void; _onClientConnect(d: unknown): void };
    connection.on('error', (err: Error) => events._onError(err));
    connection.on('connect', (data: unknown) => events._onClientConnect(data));
    connection.init();
    // A hard cap on the session's length, whatever it sends: smtp-server only has an idle
    // time-out, which a client trickling a byte at a time never trips.
    const limit = setTimeout(() => {
      const c = connection as unknown as Internals & { close(): void };
      c.send(421, `${c.name} 4.4.2 Session too long, closing`, false);
      c.close();
    }, this.maxSessionMs);
    limit.unref();
    socket.once('close', () => clearTimeout(limit));
  }
}
