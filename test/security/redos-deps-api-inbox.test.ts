// imapflow's SASL LOGIN: bounced never picks it (src/inbox/imap.ts passwordLoginMethod), since
// imapflow reads the server's prompt with /[:\x00]*$/, which backtracks quadratically over a
// continuation line of up to maxLineLength (4 MiB): a server offering AUTH=LOGIN alone could hold
// the thread for hours before the login. Checked over loopback against a fake IMAP server.
import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { imapClient, passwordLoginMethod } from '../../src/inbox/imap.js';
import { createLogger } from '../../src/log.js';

describe("the bound of imapflow's SASL LOGIN prompt regex: bounced never picks SASL LOGIN", () => {
  it('chooses SASL PLAIN when the server offers it, else the LOGIN command', () => {
    expect(passwordLoginMethod(new Map([['AUTH=PLAIN', true], ['AUTH=LOGIN', true]]))).toBe('');
    expect(passwordLoginMethod(new Map([['AUTH=LOGIN', true]]))).toBe('LOGIN');
    expect(passwordLoginMethod(new Map())).toBe('LOGIN');
  });

  /** A loopback IMAP server that answers whatever it is asked with OK, and a SASL LOGIN with a hostile prompt. */
  async function fakeImap(capabilities: string, port: number): Promise<{ server: Server; commands: string[] }> {
    const commands: string[] = [];
    const server = createServer((sock: Socket) => {
      let buf = '';
      let pending: string | null = null;
      sock.write(`* OK [CAPABILITY IMAP4rev1 ${capabilities}] ready\r\n`);
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (pending !== null) {
            sock.write(`${pending} OK done\r\n`);
            pending = null;
            continue;
          }
          const [tag, cmd = '', arg = ''] = line.split(' ');
          commands.push(`${cmd.toUpperCase()} ${cmd.toUpperCase() === 'AUTHENTICATE' ? arg.toUpperCase() : ''}`.trim());
          if (cmd.toUpperCase() === 'AUTHENTICATE' && arg.toUpperCase() === 'LOGIN') {
            // 16 KiB of ':' then one other byte: about 0.5 s of imapflow's /[:\x00]*$/
            pending = tag!;
            sock.write(`+ ${Buffer.from(`${':'.repeat(16 * 1024)}x`).toString('base64')}\r\n`);
          } else if (cmd.toUpperCase() === 'AUTHENTICATE') {
            pending = tag!;
            sock.write('+ \r\n');
          } else if (cmd.toUpperCase() === 'LOGOUT') {
            sock.end(`* BYE\r\n${tag} OK bye\r\n`);
          } else {
            sock.write(`${tag} OK done\r\n`);
          }
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return { server, commands };
  }

  const login = async (capabilities: string, port: number) => {
    const { server, commands } = await fakeImap(capabilities, port);
    try {
      const account = { id: 'i1', host: '127.0.0.1', port, tls: 'none' as const, user: 'u@example.org' };
      const client = imapClient(account, { kind: 'password', password: 'secret' }, createLogger('silent'), { maxLiteralBytes: 1024 * 1024 });
      client.on('error', () => {});
      await client.connect();
      await client.logout();
      return commands.filter((c) => c === 'LOGIN' || c.startsWith('AUTHENTICATE'));
    } finally {
      await new Promise((r) => server.close(r));
    }
  };

  it('a server offering AUTH=LOGIN alone gets the LOGIN command, never its prompt read', { timeout: 30_000 }, async () => {
    expect(await login('AUTH=LOGIN', 26201)).toEqual(['LOGIN']);
  });

  it('a server offering AUTH=PLAIN still gets SASL PLAIN', { timeout: 30_000 }, async () => {
    expect(await login('AUTH=PLAIN AUTH=LOGIN', 26202)).toEqual(['AUTHENTICATE PLAIN']);
  });
});
