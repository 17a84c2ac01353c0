import { PgcarveError } from '../src/errors/pgcarve-error.js';
import type { SourceKey, SourceRow, SourceValue, TextValue } from '../src/values.js';

/**
 * Pure text transforms used by the mappings. Each one reproduces, on PostgreSQL's text form of a
 * value, the SQL expression of monolith.md that defines the target column, so a mapping never
 * parses a value into a lossy JavaScript type. `transforms.test.ts` checks every one of them
 * against PostgreSQL itself.
 */

/**
 * A legacy `timestamp` (without time zone, holding UTC) as the text of the equal `timestamptz`:
 * `v AT TIME ZONE 'UTC'`. PostgreSQL prints a timestamp as `YYYY-MM-DD HH:MM:SS[.ffffff][ BC]`
 * (DateStyle ISO); appending the `+00` offset before the era is exactly how it prints the
 * timestamptz in a UTC session. `infinity` and `-infinity` stay as they are; null stays null and
 * undefined (an unchanged TOASTed value) stays undefined.
 *
 * Throws on any other text (a source session not on DateStyle ISO): guessing would write a wrong
 * instant. The value itself is not put in the message.
 */
export function utcTimestamptz(v: string): string;
export function utcTimestamptz(v: TextValue): TextValue;
export function utcTimestamptz(v: SourceValue): SourceValue;
export function utcTimestamptz(v: SourceValue): SourceValue {
  if (v === null || v === undefined || v === 'infinity' || v === '-infinity') return v;
  const match = ISO_TIMESTAMP.exec(v);
  if (match === null) {
    throw new Error(
      'a legacy timestamp is not in ISO form (YYYY-MM-DD HH:MM:SS[.ffffff][ BC]): the replication and backfill sessions must use DateStyle ISO',
    );
  }
  return `${match[1] ?? ''}+00${match[2] ?? ''}`;
}

const ISO_TIMESTAMP = /^(\d{4,}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)( BC)?$/;

/**
 * `lower(trim(v))`, the code of a document type. SQL `trim` removes spaces only (not tabs or
 * newlines). `lower` is PostgreSQL's, which depends on the LC_CTYPE of the database that
 * evaluates it (see `sqlLower`).
 */
export function documentTypeCode(v: TextValue): TextValue {
  return v === null ? null : sqlLower(sqlTrim(v));
}

/**
 * `initcap(replace(code, '_', ' '))`, the display name of a document type code. PostgreSQL's
 * `initcap` uppercases the first letter of every run of alphanumeric characters and lowercases the
 * rest; any other character (space, punctuation, emoji) separates words. Like `lower`, it depends
 * on the database's LC_CTYPE (see `sqlInitcap`).
 */
export function documentTypeName(code: TextValue): TextValue {
  return code === null ? null : sqlInitcap(code.replaceAll('_', ' '));
}

/**
 * `trim('-' from lower(regexp_replace(trim(v), '[^a-zA-Z0-9]+', '-', 'g')))`, the slug of a
 * business activity category. Every run of characters other than ASCII letters and digits
 * (including non-ASCII letters such as `Ä`) becomes one `-`, so the result is ASCII and does not
 * depend on the locale. A category without any ASCII letter or digit has the empty slug, and
 * distinct categories may share a slug (`Food & Drink`, `food-drink`): that is the contract's rule.
 */
export function categorySlug(v: TextValue): TextValue {
  if (v === null) return null;
  return sqlTrim(v)
    .replace(/[^a-zA-Z0-9]+/gu, '-')
    .toLowerCase()
    .replace(/^-+|-+$/gu, '');
}

/** `trim(v)`, the name of a business activity category: spaces only, as SQL `trim` does. */
export function categoryName(v: TextValue): TextValue {
  return v === null ? null : sqlTrim(v);
}

/**
 * The non-empty trimmed lines of `v`, in order, as a `text[]` literal; `{}` when null.
 * Lines are separated by `\n`; "trimmed" removes ASCII whitespace (space, tab, `\r`, `\v`, `\f`)
 * from both ends, so `\r\n` line ends and indented lines come out clean; other characters,
 * non-breaking spaces included, are content. In SQL:
 * `array(select btrim(l, E' \t\r\v\f') from regexp_split_to_table(v, E'\n') l
 *        where btrim(l, E' \t\r\v\f') <> '')`.
 */
export function benefitLines(v: TextValue): TextValue {
  return textArrayLiteral(v === null ? [] : nonEmptyTrimmed(v.split('\n')));
}

/**
 * The non-empty trimmed comma-separated items of `v`, in order (duplicates kept), as a `text[]`
 * literal; `{}` when null. "Trimmed" removes ASCII whitespace (space, tab, `\n`, `\r`, `\v`,
 * `\f`) from both ends. In SQL:
 * `array(select btrim(t, E' \t\n\r\v\f') from regexp_split_to_table(v, ',') t
 *        where btrim(t, E' \t\n\r\v\f') <> '')`.
 */
export function commaTags(v: TextValue): TextValue {
  return textArrayLiteral(v === null ? [] : nonEmptyTrimmed(v.split(',')));
}

/**
 * A PostgreSQL array literal for `text[]` that round-trips any strings: every element is
 * double-quoted (so empty strings, `NULL`, whitespace, commas and braces are literal) and `"` and
 * `\` are backslash-escaped.
 */
export function textArrayLiteral(items: readonly string[]): string {
  return `{${items.map((item) => `"${item.replace(/["\\]/gu, '\\$&')}"`).join(',')}}`;
}

/**
 * Applies a transform to a source value, keeping `undefined` (an unchanged TOASTed value that
 * pgoutput did not send) as `undefined`, so the target keeps the value derived from it before.
 * Null is passed to `f`, which decides (`benefitLines(null)` is `{}`, most transforms give null).
 */
export function derive(v: SourceValue, f: (v: TextValue) => TextValue): SourceValue {
  return v === undefined ? undefined : f(v);
}

/**
 * A legacy column a mapping cannot do without: one that decides a filter, or that goes into a
 * reference row (which is inserted once and never updated, so it cannot "keep the target's
 * value"). pgoutput omits an unchanged TOASTed value unless the table has REPLICA IDENTITY FULL
 * (then the engine takes it from the old row), and guessing would write or delete the wrong rows,
 * so the operator must change the table.
 */
export class MappingNeedsValueError extends PgcarveError {
  readonly table: string;
  readonly column: string;

  constructor(table: string, column: string) {
    super(
      'needs_replica_identity_full',
      `legacy table ${table} column ${column} was not sent (unchanged TOASTed value) but the mapping needs it: run ALTER TABLE ${table} REPLICA IDENTITY FULL`,
    );
    this.table = table;
    this.column = column;
  }
}

/** The value of `column`, which the mapping of `table` cannot do without (see MappingNeedsValueError). */
export function need(row: SourceRow, column: string, table: string): TextValue {
  const value = row[column];
  if (value === undefined) throw new MappingNeedsValueError(table, column);
  return value;
}

/**
 * A key column of a legacy key, for `fromSourceKey`. Key columns are always sent, so a missing one
 * is a bug in the mapping's `sourceKey` or in the engine, never a value to guess.
 */
export function keyColumn(key: SourceKey, column: string): TextValue {
  const value = key[column];
  if (value === undefined) throw new PgcarveError('internal', `the source key has no column ${column}`);
  return value;
}

/**
 * A boolean's text (`t`/`f`, as PostgreSQL prints it) as a filter decision; null stays null, so a
 * filter on it is false either way, as in SQL. Any other text is refused rather than guessed.
 */
export function sqlBoolean(v: TextValue): boolean | null {
  if (v === 't') return true;
  if (v === 'f') return false;
  if (v === null) return null;
  throw new PgcarveError('internal', 'a legacy boolean is not printed as t or f');
}

/** SQL `trim(v)`: removes spaces (only spaces) from both ends. */
function sqlTrim(v: string): string {
  return v.replace(/^ +| +$/gu, '');
}

/** ASCII whitespace, the "trimmed" of benefit lines and tags. */
function asciiTrim(v: string): string {
  return v.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/gu, '');
}

function nonEmptyTrimmed(parts: readonly string[]): readonly string[] {
  return parts.map(asciiTrim).filter((part) => part !== '');
}

/**
 * PostgreSQL's `lower` in a UTF-8 database whose LC_CTYPE is a glibc Unicode locale (C.UTF-8,
 * en_US.UTF-8, ...): `towlower` on every character, i.e. Unicode's simple (one character to one
 * character) lowercase mapping. JavaScript's `toLowerCase` applies the full mapping, so a character
 * whose full mapping has several characters keeps its simple mapping. A database with a C/POSIX
 * ctype lowercases ASCII only, an ICU or Turkish locale differs for some letters (`İ`, `I`): the
 * ctype of the target database is what the contract's expression means.
 */
function sqlLower(v: string): string {
  let out = '';
  for (const ch of v) out += simpleLower(ch);
  return out;
}

/** PostgreSQL's `initcap` under the same locale assumptions as `sqlLower` (`iswalnum` for words). */
function sqlInitcap(v: string): string {
  let out = '';
  let inWord = false;
  for (const ch of v) {
    const mapped = inWord ? simpleLower(ch) : simpleUpper(ch);
    out += mapped;
    inWord = ALPHANUMERIC.test(mapped);
  }
  return out;
}

/** glibc's `iswalnum`: Unicode Alphabetic characters and decimal digits of every script. */
const ALPHANUMERIC = /^[\p{Alphabetic}\p{Nd}]$/u;

function simpleLower(ch: string): string {
  const exception = SIMPLE_LOWER.get(ch);
  if (exception !== undefined) return exception;
  const lower = ch.toLowerCase();
  return isOneCodePoint(lower) ? lower : ch;
}

function simpleUpper(ch: string): string {
  const exception = SIMPLE_UPPER.get(ch);
  if (exception !== undefined) return exception;
  const upper = ch.toUpperCase();
  return isOneCodePoint(upper) ? upper : ch;
}

function isOneCodePoint(s: string): boolean {
  const first = s.codePointAt(0);
  return first !== undefined && s.length === (first > 0xffff ? 2 : 1);
}

/**
 * The characters whose full case mapping has several characters but whose simple mapping (the one
 * `towlower`/`towupper` use) exists (UnicodeData.txt vs SpecialCasing.txt).
 */
const SIMPLE_LOWER: ReadonlyMap<string, string> = new Map([['\u0130', 'i']]);

const SIMPLE_UPPER: ReadonlyMap<string, string> = new Map([
  ...offsetRange(0x1f80, 0x1f87, 8),
  ...offsetRange(0x1f90, 0x1f97, 8),
  ...offsetRange(0x1fa0, 0x1fa7, 8),
  ['\u1fb3', '\u1fbc'],
  ['\u1fc3', '\u1fcc'],
  ['\u1ff3', '\u1ffc'],
]);

function offsetRange(first: number, last: number, offset: number): ReadonlyArray<readonly [string, string]> {
  const pairs: Array<readonly [string, string]> = [];
  for (let cp = first; cp <= last; cp++) pairs.push([String.fromCodePoint(cp), String.fromCodePoint(cp + offset)]);
  return pairs;
}
