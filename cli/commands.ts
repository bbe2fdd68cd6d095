/** Every `opengkh` subcommand, in the order `--help` lists them. Add a command here and in its own file. */
import type { Command } from './command.js';
import { configCheck } from './cmd-config.js';
import { keygen } from './cmd-keygen.js';
import { passwd } from './cmd-passwd.js';
import { logCommands } from './cmd-log.js';
import { run } from './cmd-run.js';
import { demo } from './cmd-demo.js';
import { report } from './cmd-report.js';
import { mbusDecode, mbusScan } from './cmd-mbus.js';
import { simulateMbus } from './cmd-simulate.js';
import { receiverCommands } from './cmd-receiver.js';
import { simulateTsrv, simulateKarat, simulateIec62056 } from './cmd-simulate-archive.js';
import { read } from './cmd-read.js';
import { release } from './cmd-release.js';
import { update } from './cmd-update.js';

export const commands: Command[] = [
  run,
  demo,
  configCheck,
  keygen,
  read,
  passwd,
  report,
  ...logCommands,
  ...receiverCommands,
  mbusScan,
  mbusDecode,
  simulateMbus,
  simulateTsrv,
  simulateKarat,
  simulateIec62056,
  update,
  release,
];
