import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SERVICE_LIST, type ServiceName, type ServiceUrlKey } from '../../mappings/services.js';
import { PgcarveError } from '../errors/pgcarve-error.js';

/** The default bound of one writer's queue (PGCARVE_TARGET_QUEUE_BYTES). */
export const DEFAULT_TARGET_QUEUE_BYTES = 8 * 1024 * 1024;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

const postgresUrl = z.string().superRefine((value, ctx) => {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not a URL; expected postgres://user:password@host:5432/database' });
    return;
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    ctx.addIssue({ code: 'custom', message: `has scheme ${parsed.protocol.replace(/:$/, '')}; expected postgres:// or postgresql://` });
  }
  if (!parsed.hostname) ctx.addIssue({ code: 'custom', message: 'has no host; expected postgres://user:password@host:5432/database' });
  if (parsed.pathname.replace(/^\//, '') === '') ctx.addIssue({ code: 'custom', message: 'names no database; add /database after the host' });
});

const identifier = (what: string) =>
  z.string().regex(IDENTIFIER, `must match ^[a-z_][a-z0-9_]*$ (lower-case letters, digits, underscores) to be a safe ${what} name`).max(63, 'is longer than 63 characters');

/** An integer environment value, written as text in the environment and as a number or text in the file. */
const integer = (min: number, max: number) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const text = String(value).trim();
    const number = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(number) || number < min || number > max) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return number;
  });

/**
 * Every key pgcarve reads, from the environment or the config file. Unknown keys in the file are
 * errors (a typo must not silently fall back to a default).
 */
const schema = z
  .object({
    DATABASE_URL_LEGACY: postgresUrl,
    ...(Object.fromEntries(SERVICE_LIST.map((s) => [s.envVar, postgresUrl])) as Record<ServiceUrlKey, typeof postgresUrl>),
    PGCARVE_SLOT: identifier('replication slot').default('pgcarve'),
    PGCARVE_PUBLICATION: identifier('publication').default('pgcarve'),
    PGCARVE_HTTP_PORT: integer(0, 65535).default(9187),
    PGCARVE_HTTP_HOST: z.string().regex(/^[0-9A-Za-z.:_-]+$/, 'must be an IP address or host name to listen on, such as 127.0.0.1 or 0.0.0.0').default('127.0.0.1'),
    PGCARVE_HTTP_TOKEN: z
      .string()
      .min(16, 'must be at least 16 characters (generate one with `openssl rand -hex 32`)')
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it is sent as `Authorization: Bearer <token>`)')
      .optional(),
    PGCARVE_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    PGCARVE_DRIFT_INTERVAL_SECONDS: integer(0, 86_400).default(60),
    PGCARVE_BATCH_MAX_TRANSACTIONS: integer(1, 100_000).default(500),
    PGCARVE_BATCH_MAX_LATENCY_MS: integer(1, 60_000).default(100),
    PGCARVE_BACKFILL_CONCURRENCY: integer(1, 64).default(4),
    PGCARVE_TARGET_STALL_SECONDS: integer(1, 3_600).default(2),
    PGCARVE_TARGET_QUEUE_BYTES: integer(65_536, 1_073_741_824).default(DEFAULT_TARGET_QUEUE_BYTES),
  })
  .strict();

export const CONFIG_KEYS = Object.keys(schema.shape) as readonly (keyof typeof schema.shape)[];

export interface Config {
  readonly legacyUrl: string;
  readonly serviceUrls: Readonly<Record<ServiceName, string>>;
  readonly slot: string;
  readonly publication: string;
  readonly httpPort: number;
  /** The address the HTTP API listens on. */
  readonly httpHost: string;
  /** The bearer token the writing endpoints require; without one they answer 403. Never printed. */
  readonly httpToken: string | undefined;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly driftIntervalSeconds: number;
  readonly batchMaxTransactions: number;
  readonly batchMaxLatencyMs: number;
  readonly backfillConcurrency: number;
  readonly targetStallSeconds: number;
  /** Estimated bytes each service's writer queue holds before the stream waits for it. */
  readonly targetQueueBytes: number;
}

export const CONFIG_FILE_KEY = 'PGCARVE_CONFIG_FILE';

/**
 * Reads the configuration once: the JSON file named by PGCARVE_CONFIG_FILE (if any), overridden
 * key by key by the environment. Every problem is reported at once, one line each, as
 * `KEY: what is wrong`, in a PgcarveError of kind `configuration` (the CLI exits 2 on it).
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const problems: string[] = [];
  let fromFile: Record<string, unknown> = {};
  const file = env[CONFIG_FILE_KEY];
  if (file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        problems.push(`${CONFIG_FILE_KEY}: ${file} must hold a JSON object of configuration keys`);
      } else {
        fromFile = parsed as Record<string, unknown>;
      }
    } catch (error) {
      problems.push(`${CONFIG_FILE_KEY}: cannot read ${file} as JSON (${(error as Error).message})`);
    }
  }
  const input: Record<string, unknown> = { ...fromFile };
  for (const key of CONFIG_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) problems.push(`${key}: unknown key in ${file ?? 'the configuration'}; known keys are ${CONFIG_KEYS.join(', ')}`);
      } else {
        const key = issue.path.join('.') || '(configuration)';
        const message = issue.code === 'invalid_type' && input[key] === undefined ? 'is required but not set' : issue.message;
        problems.push(`${key}: ${message}`);
      }
    }
  }
  if (problems.length > 0 || !result.success) {
    throw new PgcarveError('configuration', problems.sort().join('\n'));
  }
  const c = result.data;
  const serviceUrls = Object.fromEntries(SERVICE_LIST.map((s) => [s.service, c[s.envVar]])) as Record<ServiceName, string>;
  return Object.freeze({
    legacyUrl: c.DATABASE_URL_LEGACY,
    serviceUrls: Object.freeze(serviceUrls),
    slot: c.PGCARVE_SLOT,
    publication: c.PGCARVE_PUBLICATION,
    httpPort: c.PGCARVE_HTTP_PORT,
    httpHost: c.PGCARVE_HTTP_HOST,
    httpToken: c.PGCARVE_HTTP_TOKEN,
    logLevel: c.PGCARVE_LOG_LEVEL,
    driftIntervalSeconds: c.PGCARVE_DRIFT_INTERVAL_SECONDS,
    batchMaxTransactions: c.PGCARVE_BATCH_MAX_TRANSACTIONS,
    batchMaxLatencyMs: c.PGCARVE_BATCH_MAX_LATENCY_MS,
    backfillConcurrency: c.PGCARVE_BACKFILL_CONCURRENCY,
    targetStallSeconds: c.PGCARVE_TARGET_STALL_SECONDS,
    targetQueueBytes: c.PGCARVE_TARGET_QUEUE_BYTES,
  });
}

/** The configuration keys and what they mean, for `--help` and the README. */
export const CONFIG_HELP: readonly (readonly [string, string])[] = [
  ['DATABASE_URL_LEGACY', 'the legacy (monolith) database; the role needs REPLICATION and may create a publication'],
  ...SERVICE_LIST.map((s) => [s.envVar, s.service] as const),
  ['PGCARVE_SLOT', 'logical replication slot name (default pgcarve)'],
  ['PGCARVE_PUBLICATION', 'publication name (default pgcarve)'],
  ['PGCARVE_HTTP_PORT', 'port of /metrics, /healthz, /readyz, /status, /fence, /sync (default 9187; 0 = any free port)'],
  ['PGCARVE_HTTP_HOST', 'address the HTTP API listens on (default 127.0.0.1; the Helm chart and the image set 0.0.0.0)'],
  ['PGCARVE_HTTP_TOKEN', 'bearer token required by POST /fence and GET /sync (at least 16 characters); without it they answer 403'],
  ['PGCARVE_LOG_LEVEL', 'debug | info | warn | error (default info)'],
  ['PGCARVE_DRIFT_INTERVAL_SECONDS', 'pause between continuous drift-check passes (default 60; 0 turns it off)'],
  ['PGCARVE_BATCH_MAX_TRANSACTIONS', 'source transactions grouped into one target transaction at most (default 500)'],
  ['PGCARVE_BATCH_MAX_LATENCY_MS', 'how long a batch may wait for more transactions (default 100)'],
  ['PGCARVE_BACKFILL_CONCURRENCY', 'parallel backfill connections on the exported snapshot (default 4)'],
  ['PGCARVE_TARGET_STALL_SECONDS', 'how long a target that takes nothing from its full queue may keep the others waiting before it falls behind alone and catches up later from its checkpoint (default 2)'],
  ['PGCARVE_TARGET_QUEUE_BYTES', 'bytes of changes (estimated) queued per service database before the stream waits for its writer; bounds memory whatever the backlog (default 8388608 = 8 MiB; 5 services queue up to 5 times this)'],
  [CONFIG_FILE_KEY, 'optional JSON file with any of the keys above; the environment overrides it'],
];
