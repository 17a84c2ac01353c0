import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  MappingNeedsValueError,
  benefitLines,
  categoryName,
  categorySlug,
  commaTags,
  derive,
  documentTypeCode,
  documentTypeName,
  keyColumn,
  need,
  sqlBoolean,
  textArrayLiteral,
  utcTimestamptz,
} from './transforms.js';

/**
 * Every transform is compared with the SQL expression of monolith.md evaluated by PostgreSQL, in a
 * UTF-8 database whose LC_CTYPE is C.UTF-8 (lower and initcap depend on it).
 */

const NASTY: readonly string[] = [
  '',
  ' ',
  '   ',
  '\t',
  '\n',
  '\r\n',
  ' \t\r\n ',
  'Trade License',
  '  trade  license  ',
  '\ttrade license\t',
  'TRADE_LICENSE',
  ' snake_case_type ',
  '__double__under__',
  '_',
  'Ärzte',
  '  Ärzte & Apotheken  ',
  'ärzte und ÄRZTE',
  'ß',
  'STRASSE ß straße',
  'İstanbul',
  'ISTANBUL ıi',
  'ǅemal ǆ Ǆ',
  'ᾀ ᾳ ᾈ',
  'ΣΑΣ σας',
  'Кириллица ТЕСТ',
  'ÉCOLE élève',
  'e\u0301te',
  'ǰ ŉ ﬀ',
  'Ⅻ roman x² ½',
  '١٢٣ arabic ٤',
  '👍 thumbs up',
  'emoji👍inside👍',
  '123abc 4U',
  'abc123def',
  'Food & Beverage',
  'food-beverage',
  '--multi---dash--',
  '!!!leading',
  'trailing???',
  '...',
  '---',
  'NULL',
  'null',
  '"quoted"',
  "it's o'clock",
  'back\\slash \\\\ two',
  'a,b,,c',
  ' a , b ,, c ,',
  ',,,',
  '{braces}',
  'line1\nline2\r\nline3',
  '\n\n first \n\n second \r\n\t third\t\n',
  'a\u00a0b nbsp\u00a0',
  'tab\tinside',
  'x\u000bvt\u000cff',
];

let admin: pg.Client;
let client: pg.Client;
let database: string;

beforeAll(async () => {
  const adminUrl = inject('pgAdminUrl');
  admin = new pg.Client(adminUrl);
  await admin.connect();
  database = `transforms_${randomBytes(5).toString('hex')}`;
  await admin.query(
    `CREATE DATABASE ${database} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0`,
  );
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  client = new pg.Client(url.toString());
  await client.connect();
  await client.query(`SET DateStyle = 'ISO'`);
});

afterAll(async () => {
  await client?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin?.end();
});

async function scalar(sql: string, params: readonly unknown[]): Promise<unknown> {
  const result = await client.query<{ v: unknown }>(sql, [...params]);
  return result.rows[0]?.v;
}

interface Mismatch {
  readonly input: string;
  readonly js: unknown;
  readonly sql: unknown;
}

/** Runs `sql` ($1 = input) for every input and returns where it differs from `js`. */
async function mismatches(sql: string, js: (input: string) => unknown, inputs: readonly string[] = NASTY): Promise<readonly Mismatch[]> {
  const out: Mismatch[] = [];
  for (const input of inputs) {
    const expected = await scalar(sql, [input]);
    const actual = js(input);
    if (actual !== expected) out.push({ input, js: actual, sql: expected });
  }
  return out;
}

describe('text transforms reproduce their SQL expression', () => {
  it('runs on a UTF-8 database with LC_CTYPE C.UTF-8', async () => {
    expect(await scalar(`SELECT datctype || ' ' || pg_encoding_to_char(encoding) AS v FROM pg_database WHERE datname = current_database()`, [])).toBe('C.UTF-8 UTF8');
  });

  it('documentTypeCode = lower(trim(v))', async () => {
    expect(await mismatches(`SELECT lower(trim($1)) AS v`, documentTypeCode)).toEqual([]);
  });

  it('documentTypeName = initcap(replace(code, _, space))', async () => {
    expect(await mismatches(`SELECT initcap(replace($1, '_', ' ')) AS v`, documentTypeName)).toEqual([]);
  });

  it('documentTypeName(documentTypeCode(v)) = initcap(replace(lower(trim(v)), _, space))', async () => {
    expect(
      await mismatches(`SELECT initcap(replace(lower(trim($1)), '_', ' ')) AS v`, (v) => documentTypeName(documentTypeCode(v))),
    ).toEqual([]);
  });

  it('categorySlug = trim(- from lower(regexp_replace(trim(v), [^a-zA-Z0-9]+, -, g)))', async () => {
    expect(
      await mismatches(`SELECT trim('-' from lower(regexp_replace(trim($1), '[^a-zA-Z0-9]+', '-', 'g'))) AS v`, categorySlug),
    ).toEqual([]);
  });

  it('categoryName = trim(v)', async () => {
    expect(await mismatches(`SELECT trim($1) AS v`, categoryName)).toEqual([]);
  });

  it('the SQL-expression transforms are null-strict, as SQL is', () => {
    expect([documentTypeCode(null), documentTypeName(null), categorySlug(null), categoryName(null)]).toEqual([null, null, null, null]);
  });
});

/** Compares an array literal with an array built in SQL ($1 = input); returns the mismatches. */
async function arrayMismatches(expectedSql: string, js: (input: string) => string): Promise<readonly Mismatch[]> {
  const out: Mismatch[] = [];
  for (const input of NASTY) {
    const literal = js(input);
    const result = await client.query<{ equal: boolean; expected: string }>(
      `SELECT $2::text[] = e.a AS equal, e.a::text AS expected FROM (SELECT ${expectedSql} AS a) e`,
      [input, literal],
    );
    const row = result.rows[0];
    if (row?.equal !== true) out.push({ input, js: literal, sql: row?.expected });
  }
  return out;
}

const ASCII_SPACE = `E' \\t\\n\\r\\x0B\\f'`;

describe('array transforms', () => {
  it('benefitLines = the non-empty lines, trimmed of ASCII whitespace, in order', async () => {
    const expected = `array(SELECT btrim(l, ${ASCII_SPACE}) FROM regexp_split_to_table($1, E'\\n') WITH ORDINALITY s(l, n) WHERE btrim(l, ${ASCII_SPACE}) <> '' ORDER BY n)`;
    expect(await arrayMismatches(expected, (v) => benefitLines(v) ?? 'null')).toEqual([]);
  });

  it('commaTags = the non-empty comma-separated items, trimmed of ASCII whitespace, in order', async () => {
    const expected = `array(SELECT btrim(t, ${ASCII_SPACE}) FROM regexp_split_to_table($1, ',') WITH ORDINALITY s(t, n) WHERE btrim(t, ${ASCII_SPACE}) <> '' ORDER BY n)`;
    expect(await arrayMismatches(expected, (v) => commaTags(v) ?? 'null')).toEqual([]);
  });

  it('benefitLines and commaTags of null are the empty array', async () => {
    expect([benefitLines(null), commaTags(null)]).toEqual(['{}', '{}']);
    expect(await scalar(`SELECT $1::text[] = '{}'::text[] AND cardinality($1::text[]) = 0 AS v`, ['{}'])).toBe(true);
  });

  it('a few lines and tags, spelled out', () => {
    expect(benefitLines(' 100% foreign ownership \r\n\r\n\tNo taxes\n')).toBe('{"100% foreign ownership","No taxes"}');
    expect(commaTags(' legal , "visa" ,,uae\\dubai, ')).toBe('{"legal","\\"visa\\"","uae\\\\dubai"}');
  });

  const ITEM_LISTS: readonly (readonly string[])[] = [
    [],
    [''],
    ['', ''],
    ['a'],
    ['NULL'],
    ['null', 'NULL', ''],
    [' lead', 'trail ', ' '],
    ['a,b', '{x}', '}', '{', '{}'],
    ['"'],
    ['\\'],
    ['\\"', '"\\'],
    ['a"b\\c', "it's"],
    ['Ärzte', 'ß', 'İ', '👍', '١٢٣'],
    ['\t\n\r', '\u000b\u000c', '\u00a0'],
    ['ARRAY[1]', '(1,2)', '[1:2]={a,b}'],
  ];

  it.each(ITEM_LISTS.map((items) => [JSON.stringify(items), items] as const))('textArrayLiteral round-trips %s', async (_name, items) => {
    const literal = textArrayLiteral(items);
    const result = await client.query<{ x: string | null }>(
      `SELECT x FROM unnest($1::text[]) WITH ORDINALITY u(x, n) ORDER BY n`,
      [literal],
    );
    expect(result.rows.map((r) => r.x)).toEqual(items);
  });
});

describe('utcTimestamptz = v AT TIME ZONE UTC', () => {
  const TIMESTAMPS: readonly string[] = [
    '2024-01-02 03:04:05',
    '2024-01-02 03:04:05.123456',
    '2024-01-02 03:04:05.1',
    '2024-02-29 23:59:59.999999',
    '2024-03-31 02:30:00',
    '2024-11-03 01:30:00',
    '1970-01-01 00:00:00',
    '2000-01-01',
    '1999-12-31 23:59:59.5',
    '1900-01-01 00:00:00.000001',
    '1847-12-01 00:00:00',
    '0001-01-01 00:00:00',
    '0001-12-31 23:59:59 BC',
    '0044-03-15 12:00:00.25 BC',
    '4713-01-01 00:00:00 BC',
    '9999-12-31 23:59:59.999999',
    '10000-01-01 00:00:00',
    '294276-12-31 23:59:59.999999',
    'infinity',
    '-infinity',
  ];

  async function printed(input: string): Promise<string> {
    return (await scalar(`SELECT $1::timestamp::text AS v`, [input])) as string;
  }

  it('prints exactly as PostgreSQL prints the timestamptz in a UTC session', async () => {
    await client.query(`SET TimeZone = 'UTC'`);
    const out: Mismatch[] = [];
    for (const input of TIMESTAMPS) {
      const legacy = await printed(input);
      const expected = await scalar(`SELECT ($1::timestamp AT TIME ZONE 'UTC')::text AS v`, [legacy]);
      if (utcTimestamptz(legacy) !== expected) out.push({ input: legacy, js: utcTimestamptz(legacy), sql: expected });
    }
    expect(out).toEqual([]);
  });

  it.each(['Asia/Dubai', 'America/St_Johns', 'Pacific/Kiritimati'])('denotes the same instant in a %s session', async (zone) => {
    await client.query(`SELECT set_config('TimeZone', $1, false)`, [zone]);
    const out: Mismatch[] = [];
    for (const input of TIMESTAMPS) {
      const legacy = await printed(input);
      const equal = await scalar(`SELECT $1::timestamp AT TIME ZONE 'UTC' = $2::timestamptz AS v`, [legacy, utcTimestamptz(legacy)]);
      if (equal !== true) out.push({ input: legacy, js: utcTimestamptz(legacy), sql: equal });
    }
    expect(out).toEqual([]);
  });

  it('keeps null and undefined (unchanged TOAST)', () => {
    expect(utcTimestamptz(null)).toBeNull();
    expect(utcTimestamptz(undefined)).toBeUndefined();
  });

  it.each(['Tue Jan 02 03:04:05 2024', '2024-01-02T03:04:05', '2024-01-02 03:04:05+00', '01/02/2024 03:04:05', '', 'now'])(
    'refuses the non-ISO text %j instead of guessing',
    (text) => {
      expect(() => utcTimestamptz(text)).toThrow(/DateStyle ISO/);
    },
  );
});

describe('derive, need, keyColumn, sqlBoolean', () => {
  const upper = (v: string | null): string | null => (v === null ? null : v.toUpperCase());

  it('derive keeps undefined, lets the transform decide null, applies it otherwise', () => {
    expect(derive(undefined, upper)).toBeUndefined();
    expect(derive(null, upper)).toBeNull();
    expect(derive(null, benefitLines)).toBe('{}');
    expect(derive('abc', upper)).toBe('ABC');
  });

  it('need returns text and null, and throws for an unsent value with the remedy', () => {
    const row = { id: '1', entity: null, content: undefined, title: 'x' };
    expect(need(row, 'title', 'documents')).toBe('x');
    expect(need(row, 'entity', 'activity_logs')).toBeNull();
    let thrown: unknown;
    try {
      need(row, 'content', 'messages');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MappingNeedsValueError);
    const error = thrown as MappingNeedsValueError;
    expect([error.table, error.column, error.kind]).toEqual(['messages', 'content', 'needs_replica_identity_full']);
    expect(error.message).toBe(
      'legacy table messages column content was not sent (unchanged TOASTed value) but the mapping needs it: run ALTER TABLE messages REPLICA IDENTITY FULL',
    );
  });

  it('keyColumn reads a key column and refuses a missing one', () => {
    expect(keyColumn({ id: '42' }, 'id')).toBe('42');
    expect(() => keyColumn({ id: '42' }, 'user_id')).toThrow(/no column user_id/);
  });

  it('sqlBoolean reads t and f, keeps null, refuses anything else', () => {
    expect([sqlBoolean('t'), sqlBoolean('f'), sqlBoolean(null)]).toEqual([true, false, null]);
    expect(() => sqlBoolean('true')).toThrow();
  });
});
