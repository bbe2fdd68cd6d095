import type { Command, Options } from './command.js';

/** A command whose parts are not built yet: it says so plainly and exits 1 — it never pretends to work. */
export function notYet(name: string, summary: string, usage: string, what: string, options: Options): Command {
  return {
    name,
    summary: `${summary} [not built yet]`,
    help: `${usage}\n\nNot built yet: ${what}.\nЕщё не реализовано.`,
    options,
    positionals: { min: 0, max: 0 },
    async run(_v, _p, io) {
      io.err(`opengkh ${name}: not built yet: ${what} / ещё не реализовано`);
      return 1;
    },
  };
}
