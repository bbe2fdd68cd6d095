/**
 * `opengkh` — the gateway's command line. Exit codes: 0 ok, 1 the command failed, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { isGkhError } from '../edge/errors.js';
import { commands } from './commands.js';
import { UsageError, type Command, type Io } from './command.js';
import { VERSION } from './version.js';

const stdio: Io = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
};

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `opengkh ${VERSION} — heat-metering gateway / шлюз узла учёта тепла`,
    '',
    'Usage: opengkh <command> [options]   (opengkh <command> --help for details)',
    '',
    'Commands / команды:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

function helpOf(c: Command): string {
  return `${c.help.trim()}\n`;
}

/** Finds the command whose name matches the longest prefix of argv. */
function find(argv: string[]): { cmd: Command; rest: string[] } | undefined {
  let best: { cmd: Command; rest: string[] } | undefined;
  for (const cmd of commands) {
    const words = cmd.name.split(' ');
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.cmd.name.split(' ').length)) best = { cmd, rest: argv.slice(words.length) };
  }
  return best;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: Io = stdio): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(overview());
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    io.out(VERSION);
    return 0;
  }
  const found = find(argv);
  if (!found) {
    // A group word alone (e.g. `opengkh log`) lists its subcommands.
    const group = commands.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (group.length > 0 && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) {
      io.out(`Subcommands of ${argv[0]}:\n${group.map((c) => `  ${c.name}  ${c.summary}`).join('\n')}`);
      return argv.length === 1 ? 2 : 0;
    }
    const what = group.length > 0 ? `unknown subcommand "${argv[0]} ${argv[1] ?? ''}"`.trim() : `unknown command "${argv[0]}"`;
    io.err(`opengkh: ${what}; see opengkh --help / неизвестная команда`);
    return 2;
  }
  const { cmd, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(helpOf(cmd));
    return 0;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, ''));
    }
    const pos = cmd.positionals ?? { min: 0, max: 0 };
    if (parsed.positionals.length < pos.min)
      throw new UsageError(`missing argument${pos.names ? ` <${pos.names.slice(parsed.positionals.length, pos.min).join('> <')}>` : ''}`);
    if (parsed.positionals.length > pos.max) throw new UsageError(`unexpected argument "${parsed.positionals[pos.max]}"`);
    return await cmd.run(parsed.values, parsed.positionals, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`opengkh ${cmd.name}: ${e.message} (see opengkh ${cmd.name} --help)`);
      return 2;
    }
    if (isGkhError(e)) {
      io.err(`opengkh ${cmd.name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
