import { loadConfig } from '../edge/config/index.js';
import { isGkhError } from '../edge/errors.js';
import type { Command } from './command.js';

export const configCheck: Command = {
  name: 'config check',
  summary: 'validate a gateway config and print it resolved / проверить конфигурацию',
  help: `Usage: opengkh config check <file> [--quiet]

Validates a gateway config against the schema (edge/config/gateway.schema.json) and its
cross-references (meter → bus, heat system → regime map, unique ids). Prints the resolved
config with every default filled in, or one line per problem: JSON path, expected, found.
Exit code 0 valid, 1 invalid.

Проверяет конфигурацию шлюза; при ошибке печатает путь поля, что ожидалось и что найдено.

Options:
  --quiet   print nothing on success`,
  options: { quiet: { type: 'boolean' } },
  positionals: { min: 1, max: 1, names: ['file'] },
  async run(values, [file], io) {
    try {
      const cfg = loadConfig(file!);
      if (!values.quiet) io.out(JSON.stringify(cfg, null, 2));
      return 0;
    } catch (e) {
      if (isGkhError(e, 'CONFIG_')) {
        io.err(`${file}: ${e.message}`);
        io.err('Конфигурация содержит ошибки / the config has errors (see above).');
        return 1;
      }
      throw e;
    }
  },
};
