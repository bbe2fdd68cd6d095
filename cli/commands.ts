/** Every `opengkh` subcommand, in the order `--help` lists them. Add a command here and in its own file. */
import type { Command } from './command.js';
import { configCheck } from './cmd-config.js';
import { keygen } from './cmd-keygen.js';
import { logCommands } from './cmd-log.js';
import { notYet } from './cmd-pending.js';
import { run } from './cmd-run.js';
import { report } from './cmd-report.js';
import { mbusDecode, mbusScan } from './cmd-mbus.js';
import { simulateMbus } from './cmd-simulate.js';
import { receiverCommands } from './cmd-receiver.js';

export const commands: Command[] = [
  run,
  notYet('demo', 'the whole system on simulators / демонстрация на симуляторах', 'Usage: opengkh demo [--data DIR] [--fresh] [--hour-seconds N] [--duration S]', 'the one-command demo (issue "Gateway runtime")', {
    data: { type: 'string' },
    fresh: { type: 'boolean' },
    'hour-seconds': { type: 'string' },
    duration: { type: 'string' },
  }),
  configCheck,
  keygen,
  report,
  mbusScan,
  mbusDecode,
  simulateMbus,
  ...logCommands,
  ...receiverCommands,
];
