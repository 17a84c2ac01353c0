import { CONFIG_HELP } from '../config/config.js';

/** The configuration keys and what they mean, one indented line each (for `--help`). */
export function configHelp(): string {
  const width = Math.max(...CONFIG_HELP.map(([k]) => k.length));
  return CONFIG_HELP.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}
