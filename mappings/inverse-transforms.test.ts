import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { benefitText, legacyTimestamp, tagText, textArrayItems } from './inverse-transforms.js';
import { benefitLines, commaTags, textArrayLiteral, utcTimestamptz } from './transforms.js';

/** Each inverse transform is checked against PostgreSQL's own printing and against its forward transform. */

const ELEMENTS: readonly string[] = ['', ' ', 'plain', 'two words', 'NULL', 'null', '"quoted"', 'back\\slash', 'a,b', '{braces}', 'line1\nline2', 'Zürich 東京 🏙️', "it's", 'tab\there'];

let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client(inject('pgAdminUrl'));
  await client.connect();
  await client.query(`SET DateStyle = 'ISO'; SET TimeZone = 'UTC'`);
});

afterAll(async () => {
  await client?.end();
});

describe('textArrayItems reads text[] as PostgreSQL prints it', () => {
  it('every element, one at a time and all together, with a NULL', async () => {
    const arrays: (string | null)[][] = [[], ...ELEMENTS.map((e) => [e]), [...ELEMENTS, null], [null, null]];
    for (const array of arrays) {
      const printed = (await client.query<{ v: string }>('SELECT $1::text[]::text AS v', [array])).rows[0]?.v ?? '';
      expect(textArrayItems(printed), printed).toEqual(array);
    }
  });

  it('reads the bounds decoration and the forward mapping’s fully quoted form', async () => {
    const printed = (await client.query<{ v: string }>(`SELECT '[0:1]={a,b}'::text[]::text AS v`)).rows[0]?.v ?? '';
    expect(printed).toBe('[0:1]={a,b}');
    expect(textArrayItems(printed)).toEqual(['a', 'b']);
    expect(textArrayItems(textArrayLiteral(ELEMENTS))).toEqual(ELEMENTS);
  });

  it('refuses what is not a one-dimensional array literal', () => {
    for (const bad of ['', 'abc', '{{a},{b}}', '{"a}', '{a']) expect(() => textArrayItems(bad), bad).toThrow(/one-dimensional array literal/);
  });
});

describe('legacyTimestamp = (v::timestamptz AT TIME ZONE UTC)::text, the inverse of utcTimestamptz', () => {
  const STAMPS = ['2024-01-02 03:04:05', '2024-02-29 23:59:59.999999', '1900-01-01 00:00:00.000001', '0044-03-15 12:00:00.25 BC', '294276-12-31 23:59:59.999999', 'infinity', '-infinity'];

  it('matches PostgreSQL and undoes utcTimestamptz', async () => {
    for (const legacy of STAMPS) {
      const tz = (await client.query<{ v: string }>(`SELECT ($1::timestamp AT TIME ZONE 'UTC')::text AS v`, [legacy])).rows[0]?.v ?? '';
      const back = (await client.query<{ v: string }>(`SELECT ($1::timestamptz AT TIME ZONE 'UTC')::text AS v`, [tz])).rows[0]?.v;
      expect(legacyTimestamp(tz)).toBe(back);
      expect(legacyTimestamp(utcTimestamptz(legacy))).toBe(legacy);
    }
  });

  it('keeps null and undefined, refuses an offset other than UTC', () => {
    expect(legacyTimestamp(null)).toBeNull();
    expect(legacyTimestamp(undefined)).toBeUndefined();
    expect(() => legacyTimestamp('2024-01-02 07:04:05+04')).toThrow(/TimeZone UTC/);
  });
});

describe('benefitText and tagText join arrays back so the forward mapping splits them again', () => {
  const canonical = [[], ['one'], ['Zero tax', '100% ownership', 'Zürich "HQ" \\ 東京'], ['a', 'a']];

  it.each(canonical.map((items) => [JSON.stringify(items), items] as const))('%s', (_name, items) => {
    const literal = textArrayLiteral(items);
    expect(benefitLines(benefitText(literal))).toBe(literal);
    expect(commaTags(tagText(literal))).toBe(literal);
  });

  it('an empty array is a legacy null; NULL elements are dropped; the separators are \\n and ", "', () => {
    expect(benefitText('{}')).toBeNull();
    expect(tagText('{}')).toBeNull();
    expect(benefitText(null)).toBeNull();
    expect(benefitText('{a,NULL,"b c"}')).toBe('a\nb c');
    expect(tagText('{x,NULL,y}')).toBe('x, y');
  });
});
