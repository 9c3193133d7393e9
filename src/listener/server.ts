import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { addressMatcher, clientKey } from '../client-address.js';
import { FastDataStream, SOCKET_HIGH_WATER } from './data-stream.js';

// smtp-server 3.21 waits a fixed 100 ms before its 220 greeting so that it can refuse
// "early talkers" (clients that send before the greeting, a spam-bot habit). There is no
// option for it, and with one bounce per connection (the usual way MTAs deliver DSNs) it
// caps the server at ~10 messages/s per concurrent connection (bench/smtp.mjs measures it:
// `sink-stock` against `sink-prompt`, see bench/README.md).
//
// This subclass makes the delay configurable. It replaces exactly two methods:
//  - SMTPServer.connect(): identical to upstream but constructs our connection class;
//  - SMTPConnection.init(): identical to upstream but with `greetingDelayMs` for the 100 (and
//    no timer at all for 0: see init()).
// (And SMTPConnection._createParser(), identical to upstream but with ./data-stream.ts's
// parser, which finds the end of DATA with a native search instead of a loop over every byte.)
// (And SMTPServer._handleProxy(), for a socket that sends no PROXY header: identical to upstream
// but with the session id from sessionIds() below, which the connection then takes as its own.)
// Early talkers are still refused ("421 You talk too soon") whenever they send before the
// greeting, because `_ready` is set only when the greeting is sent. Checked against
// smtp-server 3.21.6; test/listener/smtp.test.ts checks that early talkers are still refused
// with a delay configured.
//
// It also adds what smtp-server lacks against one client holding every slot of maxClients
// (100 idle sessions, each with a NOOP before the idle time-out, lock every sender out):
//  - a per-client connection limit (an IPv4 address, an IPv6 /64: ../client-address.ts),
//    answered 421 before the greeting like smtp-server's own maxClients;
//  - a limit on commands without progress per session, like Postfix's
//    smtpd_junk_command_limit and smtpd_hard_error_limit together: NOOP, RSET, HELP, VRFY,
//    EXPN, ETRN, a repeated HELO/EHLO, and every command answered 4xx/5xx count; a finished
//    DATA (a message transmitted, whatever its answer) starts the count again. Past the
//    limit the next command gets 421 and the connection is closed (RFC 5321 §3.8 lets a
//    server close with 421 when it must).

export interface ClientLimits {
  greetingDelayMs: number;
  maxSessionMs: number;
  /** Connections per client; 0: none. */
  maxClientsPerIp: number;
  /** Addresses and CIDR ranges without a per-client limit (a relay in front). */
  clientLimitExceptions: readonly string[];
  /** Commands without progress per session before 421. */
  maxIdleCommands: number;
  /** Called when a limit of this module refuses or closes a session (metrics). */
  onLimit?: (limit: 'client_limit' | 'idle_commands') => void;
}

type Internals = {
  _setListeners(cb: () => void): void;
  _server: { options: SMTPServerOptions; connections: Set<unknown> };
  send(code: number, text: string, context?: string | false): void;
  connectionReady(): void;
  name: string;
};

/** Commands that never move a mail transaction forward (RFC 5321 §4.1.1.5-4.1.1.9, RFC 1985 ETRN). */
const IDLE_COMMANDS = new Set(['NOOP', 'RSET', 'HELP', 'VRFY', 'EXPN', 'ETRN']);

class PromptConnection extends SMTPConnection {
  greetingDelayMs = 0;
  maxIdleCommands = Infinity;
  /** Set by the server when this connection is one too many for its client. */
  overClientLimit: string | null = null;
  onLimit: ClientLimits['onLimit'];
  private idleCommands = 0;
  private transactionsSeen = 0;
  /** The session's time is up, but a received message's reply was still owed (sessionTimeUp). */
  private closeAfterReply = false;

  /**
   * The whole-session cap. A message received whole (the parser has read its final dot: the
   * data stream's writable side has ended, smtp-server's own test of "received in full") is
   * being stored, and the sender is owed its reply: closing now would drop a 250 for a message
   * that is kept, and the sender would send it again (RFC 1047, duplicate messages). So the
   * 421 waits for that reply; the wait is the store's own, bounded by its time-outs. A message
   * still arriving, or no transaction at all, is cut at once, whatever the client sends.
   */
  sessionTimeUp(): void {
    const data = this._dataStream;
    if (data && data.writableEnded) {
      this.closeAfterReply = true;
      return;
    }
    this.closeForTime();
  }

  private closeForTime(): void {
    const self = this as unknown as Internals & { close(): void };
    // A message cut off before its end is abandoned now, as smtp-server does when the client
    // goes away mid-message: the parser must not finish it (an escaped line's rest is fed on
    // the next turn of the event loop) and have it stored after the 421 went out.
    const data = this._dataStream;
    if (data && !data.writableEnded && !data.destroyed) {
      const err = Object.assign(new Error('Session too long: closed before the message was received in full'), { code: 'ECONNECTION' });
      data.destroy(data.listenerCount('error') ? err : undefined);
    }
    self.send(421, `${self.name} 4.4.2 Session too long, closing`, false);
    self.close();
  }

  /** Called by smtp-server once a transaction's reply has been sent (and on RSET, MAIL, ...). */
  override _resetSession(): void {
    super._resetSession();
    if (this.closeAfterReply) {
      this.closeAfterReply = false;
      this.closeForTime();
    }
  }

  /**
   * Replies to pipelined commands in one write. RFC 2920 §3.2 lets a server hold the replies
   * to grouped commands and requires it to send every pending one as soon as its input buffer
   * is empty (item 7); Postfix's smtpd flushes its output only then. smtp-server handles every
   * command of a socket read in one synchronous pass and writes each reply at once: a client
   * that pipelines MAIL, RCPT and DATA (as Postfix, Exim and Sendmail do against PIPELINING)
   * got three writes, three system calls and, on loopback, three wake-ups of its peer. The socket is
   * corked while a read is handled and uncorked at the end of this turn of the event loop
   * (process.nextTick, the pattern Node documents for cork): a reply given later, such as the
   * 250 after the message is stored, goes out at once as before, and nothing waits for more
   * input. A 220 is written through at once: STARTTLS's goes out in clear before smtp-server
   * hands the socket to the TLS layer (right after this reply), without relying on what that
   * layer does with writes still held in the socket it takes over.
   */
  private held: Socket | null = null;

  private holdReplies(): void {
    const socket = (this as unknown as { _socket?: Socket })._socket;
    if (this.held || !socket || socket.destroyed) return;
    this.held = socket;
    socket.cork();
    process.nextTick(() => this.releaseReplies(socket));
  }

  private releaseReplies(socket: Socket): void {
    if (this.held !== socket) return;
    this.held = null;
    socket.uncork();
  }

  /** Upstream's parser wiring, with FastDataStream for SMTPStream (and its small buffer: ./data-stream.ts). */
  override _createParser(): SMTPStream {
    const self = this as unknown as Internals & { _server: { options: SMTPServerOptions & { maxCommandLength?: number } } };
    const parser = new FastDataStream({ maxCommandLength: self._server.options.maxCommandLength, highWaterMark: SOCKET_HIGH_WATER });
    parser.onChunk = () => this.holdReplies();
    parser.oncommand = (command, callback) => this._onCommand(command, callback);
    // As upstream: a parser error (a command line too long) ends the session with 421.
    parser.on('error', (err: Error) => self.send(421, 'Error: ' + err.message));
    return parser;
  }

  override init(): void {
    const self = this as unknown as Internals;
    self._setListeners(() => {
      const max = self._server.options.maxClients;
      if (max && self._server.connections.size > max) {
        return self.send(421, `${self.name} Too many connected clients, try again in a moment`, false);
      }
      if (this.overClientLimit) {
        this.onLimit?.('client_limit');
        return self.send(421, `4.7.0 ${self.name} Too many connections from your address (at most ${this.overClientLimit}), try again later`, false);
      }
      // No delay: greet in this turn of the event loop (setImmediate), not from a timer: Node
      // makes setTimeout(fn, 0) a 1 ms timer, up to a millisecond on every connection's path
      // (with one message per connection, the usual way DSNs come, on every message's).
      if (this.greetingDelayMs <= 0) {
        setImmediate(() => self.connectionReady());
        return;
      }
      const timer = setTimeout(() => self.connectionReady(), this.greetingDelayMs);
      timer.unref();
    });
  }

  /** A message transmitted since the count began: start it again. */
  private progressed(): void {
    if (this._transactionCounter !== this.transactionsSeen) {
      this.transactionsSeen = this._transactionCounter;
      this.idleCommands = 0;
    }
  }

  override _onCommand(command: Buffer, callback?: () => void): void {
    // Only commands in the command phase: not AUTH continuation lines, not before the
    // greeting (smtp-server refuses those itself), not while TLS is being set up.
    if (this._ready && !this._nextHandler && !this._upgrading) {
      this.progressed();
      if (this.idleCommands >= this.maxIdleCommands) {
        this.onLimit?.('idle_commands');
        return this.send(421, `4.7.0 ${this.name} Too many commands without a message, closing`, false);
      }
      const name = (command || '').toString().split(' ', 1)[0]!.toUpperCase();
      const reopening = (name === 'HELO' || name === 'EHLO') && this.openingCommand !== false;
      if (IDLE_COMMANDS.has(name) || reopening) this.idleCommands++;
    }
    super._onCommand(command, callback);
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    // A refused command is no progress either (a loop of refused recipients, ...).
    if (this._ready && code >= 400 && code !== 421) {
      this.progressed();
      this.idleCommands++;
    }
    super.send(code, data, context);
    if (code === 220 && this.held) this.releaseReplies(this.held);
  }
}

/**
 * Session ids (smtp-server's `session.id`, its log lines' `cid`): 16 base32 characters like
 * upstream's, but upstream draws 80 random bits for each connection, twice (once before the
 * PROXY header, once more in the connection when none was passed on): two CSPRNG calls per
 * connection, about 3 % of the SMTP thread's CPU with one message per connection (bench/README.md
 * "Round 8"). The id only tells sessions apart in logs, so a random prefix drawn once per process
 * and a counter do: unique within the process (2^40 sessions), and apart across processes and
 * restarts with the odds of 40 random bits.
 */
export function sessionIds(): () => string {
  const prefix = BigInt('0x' + randomBytes(5).toString('hex')).toString(32).padStart(8, '0');
  let next = 0;
  return () => prefix + (next++).toString(32).padStart(8, '0');
}

export class BouncedSmtpServer extends SMTPServer {
  private readonly perClient = new Map<string, number>();
  private readonly exempt: (address: string) => boolean;
  private readonly nextSessionId = sessionIds();

  constructor(
    options: SMTPServerOptions,
    private readonly limits: ClientLimits,
  ) {
    super(options);
    this.exempt = addressMatcher(limits.clientLimitExceptions);
  }

  /** Open connections per client (for tests and metrics). */
  clientConnections(address: string): number {
    return this.perClient.get(clientKey(address)) ?? 0;
  }

  override connect(socket: Socket, socketOptions?: unknown): void {
    const connection = new PromptConnection(this, socket, socketOptions as never);
    connection.greetingDelayMs = this.limits.greetingDelayMs;
    connection.maxIdleCommands = this.limits.maxIdleCommands;
    connection.onLimit = this.limits.onLimit;
    this.countClient(socket, connection);
    this.connections.add(connection);
    const events = this as unknown as { _onError(e: Error): void; _onClientConnect(d: unknown): void };
    connection.on('error', (err: Error) => events._onError(err));
    connection.on('connect', (data: unknown) => events._onClientConnect(data));
    connection.init();
    // A hard cap on the session's length, whatever it sends: smtp-server only has an idle
    // time-out, which a client trickling a byte at a time never trips.
    const limit = setTimeout(() => connection.sessionTimeUp(), this.limits.maxSessionMs);
    limit.unref();
    socket.once('close', () => clearTimeout(limit));
  }

  /**
   * Upstream's, for a socket without a PROXY header (useProxy off, or not from a listed proxy):
   * the socket options `connect()` gets, on the next turn of the event loop as upstream, with
   * an id from sessionIds(). A socket that sends a PROXY header goes through upstream's own.
   */
  override _handleProxy(socket: Socket, callback: Parameters<SMTPServer['_handleProxy']>[1]): void {
    if (this._expectsProxyHeader(socket)) return super._handleProxy(socket, callback);
    const ignored = (this.options as SMTPServerOptions & { ignoredHosts?: string[] }).ignoredHosts;
    const socketOptions = { id: this.nextSessionId(), ignore: ignored ? ignored.includes(socket.remoteAddress ?? '') : undefined };
    setImmediate(() => callback(null, socketOptions));
  }

  /** Counts the connection for its client until its socket closes; marks it when one too many. */
  private countClient(socket: Socket, connection: PromptConnection): void {
    const max = this.limits.maxClientsPerIp;
    const address = socket.remoteAddress ?? '';
    if (max <= 0 || this.exempt(address)) return;
    const key = clientKey(address);
    const open = (this.perClient.get(key) ?? 0) + 1;
    this.perClient.set(key, open);
    socket.once('close', () => {
      const left = (this.perClient.get(key) ?? 1) - 1;
      if (left > 0) this.perClient.set(key, left);
      else this.perClient.delete(key);
    });
    if (open > max) connection.overClientLimit = String(max);
  }
}
