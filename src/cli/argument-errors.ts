/**
 * `--name -1` as `--name=-1`: node's parseArgs takes a value starting with a dash for an option,
 * so a negative number would be reported as an "ambiguous" argument instead of being checked by
 * the command (which then says what the valid range is). No pgcarve command takes positionals.
 */
export function joinNegativeValues(args: readonly string[]): readonly string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const next = args[i + 1];
    if (/^--[a-z][a-z-]*$/.test(arg) && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** node's parseArgs errors in pgcarve's words, or undefined for any other error. `usage` is the command that prints the options. */
export function describeArgumentError(error: unknown, command: string, usage = `pgcarve ${command} --help`): string | undefined {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  if (typeof message !== 'string') return undefined;
  const help = `\`${usage}\` lists its options`;
  const option = /'(--?[^' ]+)/.exec(message)?.[1] ?? 'an option';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option}: ${help}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(message) ? `${option} takes no value: ${help}` : `${option} needs a value: ${help}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(/'([^']*)'/.exec(message)?.[1] ?? '')}: pgcarve ${command} takes only options; ${help}`;
    default:
      return undefined;
  }
}
