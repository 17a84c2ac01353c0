import type { Prng } from './prng.js';

/**
 * The vocabulary of the generated legacy data: realistic values plus the traps a migration must
 * survive (unicode, odd spacing and case, punctuation, CRLF, values beyond 2^53, microseconds).
 * Shared by the seed and the live workload so both write the same kinds of values.
 */

/** 2^53 + 1: the first integer a JavaScript number cannot hold. */
export const BEYOND_2_53 = '9007199254740993';

export const ROLE_NAMES = ['admin', 'operator', 'consultant', 'client', 'auditor', 'read-only'] as const;

export const FIRST_NAMES = [
  'Aisha', 'Omar', 'Fatima', 'Yusuf', 'Priya', 'Rahul', 'Elena', 'Lucas', 'Mei', 'Kenji', 'Sofia', 'Noah',
  'عائشة', 'محمد', 'José', 'Zoë', 'Chloé', 'Åsa', 'Nguyễn', 'Siobhán', 'Dvořák', 'Łukasz',
  // combining characters: "e" + COMBINING ACUTE ACCENT, "n" + COMBINING TILDE
  'Rene\u0301e', 'Pen\u0303a',
] as const;

export const LAST_NAMES = [
  'Al Mansouri', 'Haddad', 'Khan', 'Sharma', 'Smith', 'García', 'Rossi', 'Müller', 'Tanaka', 'Kim',
  'Okafor', 'Ivanova', "O'Brien", 'van der Berg', 'العتيبي', 'Nakamura 🌸', 'Li-Wei', 'Øvergaard',
] as const;

export const NATIONALITIES = ['AE', 'IN', 'PK', 'GB', 'US', 'EG', 'PH', 'FR', 'DE', 'CN', 'RU', 'NG', 'السعودية'] as const;

export const COMPANY_WORDS = ['Falcon', 'Oasis', 'Dune', 'Pearl', 'Gulf', 'Marina', 'Zenith', 'Atlas', 'Nile', 'Cedar', 'Saffron', 'Horizon'] as const;
export const COMPANY_SUFFIXES = ['Trading LLC', 'FZE', 'FZ-LLC', 'Consultancy', 'Holdings Ltd.', 'Tech DMCC', '& Sons', 'Logistics (Branch)'] as const;

export const BIOS = [
  'Founder. Coffee ☕ and spreadsheets.',
  'مؤسس شركة ناشئة في دبي',
  'Line one\nLine two with trailing spaces   ',
  'Tabs\tand "quotes" and \\backslashes\\',
  'Emoji with ZWJ: 👩‍💻 👨‍👩‍👧 🇦🇪',
  'Zero-width\u200bspace and RTL mark \u200f inside',
  '',
] as const;

export const EMIRATES = ['Dubai', 'Abu Dhabi', 'Sharjah', 'Ajman', 'Ras Al Khaimah', 'Fujairah', 'Umm Al Quwain'] as const;

export const FREE_ZONE_NAMES = [
  'Dubai Multi Commodities Centre', 'Jebel Ali Free Zone', 'Dubai Silicon Oasis', 'Abu Dhabi Global Market',
  'Sharjah Media City (Shams)', 'Ajman Free Zone', 'RAK Economic Zone', 'Fujairah Creative City',
  'Dubai Internet City', 'Masdar City Free Zone', 'Hamriyah Free Zone', 'Umm Al Quwain FTZ',
  'منطقة الشارقة الحرة', 'Dubai South', 'Meydan Free Zone', 'Dubai Airport Freezone',
] as const;

const BENEFITS = [
  '100% foreign ownership', '0% corporate and personal income tax', 'Full repatriation of capital and profits',
  'No currency restrictions', 'Fast-track visa processing', 'Flexi-desk from AED 12,500', 'إعفاء ضريبي كامل',
  'Access to 🚢 Jebel Ali port', 'Dedicated "business hub" support',
] as const;

/**
 * The benefits column: one benefit per line, with the formatting a CMS leaves behind: blank lines,
 * CRLF line ends, leading and trailing spaces, a trailing newline. Sometimes null.
 */
export function benefitsText(rng: Prng): string | null {
  if (rng.chance(0.1)) return null;
  const lines: string[] = [];
  const count = rng.int(1, 6);
  for (let i = 0; i < count; i += 1) {
    let line: string = rng.pick(BENEFITS);
    if (rng.chance(0.3)) line = `  ${line}`;
    if (rng.chance(0.3)) line = `${line}   `;
    lines.push(line);
    if (rng.chance(0.25)) lines.push(rng.pick(['', '   ', '\t']));
  }
  const eol = rng.chance(0.4) ? '\r\n' : '\n';
  return lines.join(eol) + (rng.chance(0.3) ? eol : '');
}

/**
 * Activity categories as legacy stored them: free text whose slug collides across case, spacing
 * and punctuation ("Trading & Commerce" and "  trading  &  commerce " share a slug).
 */
export const CATEGORIES = [
  ['Trading & Commerce', 'General trading, import and export'],
  ['  trading  &  commerce ', 'General trading, import and export'],
  ['IT / Software', 'Software development and IT services'],
  ['it - software', 'Software development and IT services'],
  ['Food & Beverage (F&B)', 'Restaurants, cafés and catering ☕'],
  ['Media, Marketing & Advertising', 'Agencies, publishing, events'],
  ['Consultancy', null],
  ['CONSULTANCY', null],
  ['Health-care / Wellness!', 'Clinics, pharmacies and wellness centres'],
  ['E-Commerce 🛒', 'Online retail'],
  ['Logistics_and_Freight', 'Freight forwarding, warehousing'],
  ['Crypto & Web3 (regulated)', 'Virtual asset service providers'],
] as const;

export const ACTIVITY_NAMES = [
  'General Trading', 'Software Development', 'Management Consultancy', 'Event Management', 'E-Commerce',
  'Restaurant', 'Freight Forwarding', 'Marketing Services', 'Clinic', 'Virtual Asset Exchange',
  'تجارة عامة', 'Café & Bakery', 'Import/Export of "Luxury" Goods',
] as const;

export const APPROVAL_AUTHORITIES = ['DHA', 'VARA', 'Dubai Municipality', 'NMC', 'SCA', 'DED'] as const;

export const ENTITY_TYPES = ['FZE', 'FZ-LLC', 'Branch', 'Freelancer permit', 'Civil company'] as const;

/** Documents a guide requires: elements with commas, quotes, braces, backslashes, empty strings and NULLs. */
export const REQUIRED_DOCUMENTS: readonly (string | null)[] = [
  'Passport copy',
  'Visa page, entry stamp',
  'Lease agreement ("Ejari")',
  '{Board resolution}',
  'C:\\scans\\emirates-id.pdf',
  '',
  null,
  'NULL',
  'شهادة عدم ممانعة',
  'Bank reference letter 🏦',
];

/** The document_type column as users typed it: case and surrounding spaces vary. */
export const DOCUMENT_TYPES = [
  'invoice', 'Invoice', ' INVOICE ', 'trade_license', 'Trade_License ', 'passport', 'PASSPORT',
  'contract', '  Contract', 'visa_application', 'bank_statement', 'MoA',
] as const;

export const MIME_TYPES = ['application/pdf', 'image/jpeg', 'image/png', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'text/plain'] as const;

export const SUBMISSION_STATUSES = ['draft', 'submitted', 'approved', 'rejected'] as const;

export const MODELS = ['gpt-4o', 'claude-3-5-sonnet', 'llama-3-70b', 'mistral-large'] as const;

export const TOPICS = [
  'Cost of a DMCC licence in 2024', 'Visa quota rules for FZ-LLC', 'VAT registration thresholds',
  'مقارنة المناطق الحرة في دبي', 'Best free zone for e-commerce 🛒', 'Corporate tax: qualifying income',
] as const;

export const RESEARCH_STATUSES = ['pending', 'running', 'done', 'failed'] as const;

export const SCRAPER_KINDS = ['fees', 'activities', 'news', 'regulations'] as const;
export const SCRAPER_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'paused'] as const;
export const CRONS = ['0 * * * *', '*/15 * * * *', '0 3 * * 1', '30 2 1 * *', '@daily'] as const;

/**
 * activity_logs.entity: the scraper service takes the rows whose entity is LIKE 'scraper%'
 * (case-sensitive: 'Scraper' and ' scraper' are not its rows).
 */
export const SCRAPER_ENTITIES = ['scraper', 'scraper_task', 'scraper_result', 'scraper_schedule', 'scraper%weird'] as const;
export const OTHER_ENTITIES = ['user', 'document', 'free_zone', 'conversation', 'Scraper', ' scraper', 'web_scraper'] as const;
export const ACTIONS = ['create', 'update', 'delete', 'run', 'login', 'export', 'approve'] as const;

/**
 * ai_training_data.tags: comma-separated, with empty items, spaces and trailing commas.
 */
export function tagsText(rng: Prng): string | null {
  return rng.pick([null, 'uae,tax', 'visa, ,dmcc', ',licence,,fees,', '  spaced  ,tags  ', 'عربي,english', 'single', '', 'emoji 🚀,x']);
}

const BASE_MS = Date.UTC(2022, 0, 1);
const SPAN_MS = 2 * 365 * 24 * 3600 * 1000;

/**
 * A legacy `timestamp` (UTC, no time zone) with microseconds, as PostgreSQL text. Sometimes on
 * the edges of the fraction (.000001, .999999) or exactly on a second.
 */
export function timestampText(rng: Prng, after?: string): string {
  const start = after === undefined ? BASE_MS : Date.parse(`${after.slice(0, 19).replace(' ', 'T')}Z`);
  const ms = start + Math.floor(rng.next() * (after === undefined ? SPAN_MS : 90 * 24 * 3600 * 1000));
  const micros = rng.weighted<number>([
    [8, rng.int(0, 999_999)],
    [1, 1],
    [1, 999_999],
    [1, 0],
  ]);
  const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(micros).padStart(6, '0')}`;
}

/** A numeric(12,2) amount as text: ordinary, tiny, or at the type's maximum. */
export function moneyText(rng: Prng, min: number, max: number): string {
  const edge = rng.weighted<string | undefined>([
    [18, undefined],
    [1, '0.01'],
    [1, '9999999999.99'],
  ]);
  if (edge !== undefined) return edge;
  const cents = rng.int(min * 100, max * 100);
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export function fullName(rng: Prng): string {
  return `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
}

export function companyName(rng: Prng): string {
  return `${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_SUFFIXES)}`;
}

/** A jsonb value with nested objects, arrays, unicode, and numbers JavaScript would round. */
export function nestedJson(rng: Prng, depth = 2): unknown {
  if (depth === 0) return rng.pick<unknown>(['مرحبا', '✓ done', 42, 3.14159, true, null, 'line\nbreak', 'tab\there']);
  const obj: Record<string, unknown> = {};
  const keys = rng.int(1, 4);
  for (let i = 0; i < keys; i += 1) {
    const key = rng.pick(['a', 'step', 'ñame', '键', 'nested', 'list', 'emoji 😀']);
    obj[key] = rng.chance(0.3) ? [nestedJson(rng, depth - 1), nestedJson(rng, depth - 1)] : nestedJson(rng, depth - 1);
  }
  return obj;
}

/**
 * Serialises a value for a jsonb parameter. Integers beyond 2^53 are written as digits in the
 * JSON text, never through a JavaScript number.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value);
}

/** A PostgreSQL array literal of text elements (null elements become NULL, everything else is quoted). */
export function textArrayLiteral(items: readonly (string | null)[]): string {
  return `{${items.map((item) => (item === null ? 'NULL' : `"${item.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(',')}}`;
}
