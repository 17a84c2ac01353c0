import { getTableColumns, type InferSelectModel } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { PgcarveError } from '../src/errors/pgcarve-error.js';
import type { SourceValue, TextValue } from '../src/values.js';
import type { ServiceName } from './services.js';
import { inverse, type InverseMapping, type LegacyValues } from './inverse-mapping.js';
import type { LegacyColumn } from './legacy/columns.js';
import type { LegacyTableName } from './legacy/schema.js';

/**
 * Pure text transforms of the inverse mappings: each undoes a forward transform of transforms.ts
 * on PostgreSQL's text form, so a value never passes through a lossy JavaScript type on its way
 * back. `inverse-transforms.test.ts` checks them against PostgreSQL and against the forward ones.
 */

/**
 * A `timestamptz` printed in a UTC session (`YYYY-MM-DD HH:MM:SS[.ffffff]+00[ BC]`) as the text of
 * the legacy `timestamp` holding UTC: the inverse of `utcTimestamptz`. `infinity`, `-infinity`,
 * null and undefined stay as they are. Any other offset means the session was not in UTC: it is
 * refused rather than shifted (the reverse stream pins TimeZone=UTC).
 */
export function legacyTimestamp(v: string): string;
export function legacyTimestamp(v: TextValue): TextValue;
export function legacyTimestamp(v: SourceValue): SourceValue;
export function legacyTimestamp(v: SourceValue): SourceValue {
  if (v === null || v === undefined || v === 'infinity' || v === '-infinity') return v;
  const match = UTC_TIMESTAMPTZ.exec(v);
  if (match === null) {
    throw new PgcarveError('mapping_threw', 'a service timestamptz is not printed in UTC ISO form (YYYY-MM-DD HH:MM:SS[.ffffff]+00): the reverse replication session must use DateStyle ISO and TimeZone UTC');
  }
  return `${match[1] ?? ''}${match[2] ?? ''}`;
}

const UTC_TIMESTAMPTZ = /^(\d{4,}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\+00( BC)?$/;

/**
 * The elements of a one-dimensional `text[]` as PostgreSQL prints it (`{a,"b c",NULL,"x\"y"}`,
 * optionally with bounds `[0:1]={…}`): unquoted `NULL` is SQL NULL, quoted elements are unescaped.
 * A multi-dimensional or malformed literal is refused.
 */
export function textArrayItems(literal: string): readonly (string | null)[] {
  let i = 0;
  if (literal.startsWith('[')) {
    i = literal.indexOf('=') + 1;
    if (i === 0) throw arrayError();
  }
  if (literal[i] !== '{' || !literal.endsWith('}')) throw arrayError();
  i++;
  const end = literal.length - 1;
  const items: (string | null)[] = [];
  if (i === end) return items;
  for (;;) {
    if (literal[i] === '"') {
      let item = '';
      i++;
      while (i < end && literal[i] !== '"') {
        if (literal[i] === '\\') i++;
        item += literal[i] ?? '';
        i++;
      }
      if (literal[i] !== '"') throw arrayError();
      i++;
      items.push(item);
    } else {
      let item = '';
      while (i < end && literal[i] !== ',') {
        if (literal[i] === '{' || literal[i] === '"') throw arrayError();
        if (literal[i] === '\\') i++;
        item += literal[i] ?? '';
        i++;
      }
      const trimmed = item.trim();
      items.push(trimmed.toUpperCase() === 'NULL' ? null : trimmed);
    }
    if (i === end) return items;
    if (literal[i] !== ',') throw arrayError();
    i++;
  }
}

function arrayError(): PgcarveError {
  return new PgcarveError('mapping_threw', 'a service text[] value is not a one-dimensional array literal');
}

/**
 * `free_zones.benefits` (`text[]`) back to the legacy text, one benefit per line: the non-null
 * elements joined by `\n`; null for an empty array. The forward mapping (`benefitLines`) takes
 * the non-empty trimmed lines, so the round trip is exact for arrays whose elements are
 * non-empty, trimmed and without a newline: the canonical form. Other arrays are canonicalised
 * (elements split at newlines, trimmed, empty ones and NULLs dropped) when mapped forward again.
 */
export function benefitText(v: TextValue): TextValue {
  if (v === null) return null;
  const items = textArrayItems(v).filter((item): item is string => item !== null);
  return items.length === 0 ? null : items.join('\n');
}

/**
 * `ai_training_data.tags` (`text[]`) back to the legacy comma-separated text: the non-null
 * elements joined by `, `; null for an empty array. Exact for elements that are non-empty,
 * trimmed and without a comma (what the forward `commaTags` produces); others are canonicalised.
 */
export function tagText(v: TextValue): TextValue {
  if (v === null) return null;
  const items = textArrayItems(v).filter((item): item is string => item !== null);
  return items.length === 0 ? null : items.join(', ');
}

/**
 * The inverse of a 1:1 table: every service column goes back to the legacy column of the same
 * name, unchanged except `timestamps` (timestamptz in UTC back to the legacy timestamp). The
 * compiler refuses a service table with a column the legacy table does not have.
 */
export function oneToOne<T extends PgTable, L extends LegacyTableName>(
  service: ServiceName,
  table: T,
  legacy: L & ([Exclude<keyof InferSelectModel<T> & string, LegacyColumn<L>>] extends [never] ? unknown : never),
  timestamps: readonly (keyof InferSelectModel<T> & string)[],
): InverseMapping {
  const columns = Object.keys(getTableColumns(table));
  const stamped = new Set<string>(timestamps);
  return inverse<T, L>({
    service,
    table,
    legacy,
    key: { id: 'id' } as InverseMapping<T, L>['key'],
    shape: { kind: 'row' },
    values: (row) => {
      const out: Record<string, SourceValue> = {};
      for (const column of columns) {
        const value = (row as Readonly<Record<string, SourceValue>>)[column];
        out[column] = stamped.has(column) ? legacyTimestamp(value) : value;
      }
      return out as LegacyValues<L>;
    },
  });
}
