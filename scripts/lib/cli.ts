import { type ParseArgsConfig, parseArgs } from 'node:util';

type Option = NonNullable<ParseArgsConfig['options']>[string] & {
  /** One line for --help. */
  readonly description: string;
  /** What the value is called in --help (`--port N`). */
  readonly value?: string;
};

export interface CommandSpec<O extends Record<string, Option>> {
  /** How a user runs it: `npm run status --`. */
  readonly usage: string;
  /** What it does, a sentence or two. */
  readonly summary: string;
  readonly options: O;
  /** Arguments after the options, for --help: `[function]`. */
  readonly positionals?: string;
  /** Lines after the options in --help: examples, environment variables. */
  readonly notes?: string;
}

/** A command line that cannot be run: one line, pointing at --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A port number option (0 to 65535), or a UsageError naming the option. */
export function portOption(option: string, value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new UsageError(`--${option} must be a port number, got "${value}" (see --help)`);
  return Number(value);
}

/** The options every command that talks to a target takes. */
export const TARGET_OPTIONS = {
  target: {
    type: 'string',
    value: 'T',
    description: 'local (default), localstack or aws; or SHOPSTREAM_TARGET',
  },
  endpoint: {
    type: 'string',
    value: 'URL',
    description: 'the endpoint of the embedded cloud or LocalStack (default: the running one)',
  },
  port: {
    type: 'string',
    value: 'N',
    description: 'the embedded cloud on 127.0.0.1:N (default: the running one, else 4566)',
  },
} as const satisfies Record<string, Option>;

/**
 * Parses a command's arguments with node:util's parseArgs, adding `-h, --help`: the help is
 * printed and the process ends 0; a bad argument becomes a UsageError.
 */
export function parseCommand<O extends Record<string, Option>>(
  spec: CommandSpec<O>,
  args: string[] = process.argv.slice(2),
) {
  const options = {
    ...spec.options,
    help: { type: 'boolean', short: 'h', description: 'this text' },
  } as const;
  let parsed: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>;
  try {
    parsed = parseArgs({
      args,
      options: options as unknown as O,
      allowPositionals: spec.positionals !== undefined,
    }) as typeof parsed;
  } catch (error) {
    // parseArgs adds advice on positionals that these commands do not take.
    const message = (error as Error).message
      .split('\n')[0]
      ?.replace(/\. To specify a positional.*$/, '');
    throw new UsageError(`${message} (see --help)`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(helpText(spec));
    process.exit(0);
  }
  return parsed;
}

export function helpText<O extends Record<string, Option>>(spec: CommandSpec<O>): string {
  const all: Record<string, Option> = {
    ...spec.options,
    help: { type: 'boolean', short: 'h', description: 'this text' },
  };
  const flags = Object.entries(all).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    const fallback =
      o.default !== undefined && o.type === 'string' ? ` (default ${String(o.default)})` : '';
    return [flag, `${o.description}${fallback}`] as const;
  });
  const width = Math.max(...flags.map(([f]) => f.length)) + 2;
  return [
    `usage: ${spec.usage} [options]${spec.positionals ? ` ${spec.positionals}` : ''}`,
    '',
    spec.summary,
    '',
    'options:',
    ...flags.map(([f, d]) => `  ${f.padEnd(width)}${d}`),
    ...(spec.notes ? ['', spec.notes] : []),
  ].join('\n');
}
