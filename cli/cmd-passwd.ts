import { hashPassword } from '../edge/status/index.js';
import { str, UsageError, type Command } from './command.js';

/** Shortest password accepted for the status page (characters). */
export const MIN_PASSWORD_LENGTH = 8;

/** Reads all of a non-TTY stdin; the password is its first line (trailing CR/LF removed). */
async function readPipe(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/** Prompts on stderr and reads one line from the TTY with echo off. Ctrl-C / Ctrl-D abort. */
function promptHidden(stdin: NodeJS.ReadStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    process.stderr.write(prompt);
    let s = '';
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(s);
    };
    const onData = (d: string) => {
      for (const ch of d) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('aborted / прервано'));
        if (ch === '\u007f' || ch === '\b') s = [...s].slice(0, -1).join('');
        else if (ch >= ' ') s += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export const passwd: Command = {
  name: 'passwd',
  summary: 'hash a status-page password / хэш пароля страницы состояния',
  help: `Usage: opengkh passwd [--user NAME]  (password on stdin or typed at the prompt)

Prints the scrypt hash (scrypt$<salt>$<hash>, random salt) of a password for the status page's
basic auth, to paste into the gateway config:

  "status": { "basicAuth": { "username": "tech", "passwordHash": "scrypt$…" } }

The password is read from a TTY prompt (typed twice, not echoed) or, when stdin is not a terminal,
from the first line of stdin — never from the command line, where it would land in the shell
history and in the process list. At least ${MIN_PASSWORD_LENGTH} characters.
With --user NAME the whole basicAuth object is printed as JSON.

Печатает хэш пароля для входа на страницу состояния (status.basicAuth.passwordHash).
Пароль вводится с клавиатуры (дважды, без отображения) или подаётся на stdin, но не аргументом.

Options:
  --user NAME   print {"username": NAME, "passwordHash": …} instead of the bare hash

Example:
  opengkh passwd --user tech
  printf '%s\\n' "$STATUS_PASSWORD" | opengkh passwd`,
  options: { user: { type: 'string' } },
  async run(values, _pos, io) {
    const user = str(values, 'user');
    if (user !== undefined && user.length === 0) throw new UsageError('--user: expected a non-empty name');
    if (user?.includes(':')) throw new UsageError('--user: a basic-auth user name cannot contain ":"');
    const stdin = process.stdin;
    let password: string;
    try {
      if (stdin.isTTY) {
        password = await promptHidden(stdin, 'Пароль / password: ');
        const again = await promptHidden(stdin, 'Ещё раз / again: ');
        if (again !== password) {
          io.err('opengkh passwd: the passwords differ / пароли не совпадают');
          return 1;
        }
      } else {
        password = await readPipe(stdin);
      }
    } catch (e) {
      io.err(`opengkh passwd: ${(e as Error).message}`);
      return 1;
    }
    if ([...password].length < MIN_PASSWORD_LENGTH) {
      io.err(`opengkh passwd: the password is shorter than ${MIN_PASSWORD_LENGTH} characters / пароль короче ${MIN_PASSWORD_LENGTH} символов`);
      return 1;
    }
    const hash = hashPassword(password);
    io.out(user === undefined ? hash : JSON.stringify({ username: user, passwordHash: hash }));
    return 0;
  },
};
