/**
 * A PostgreSQL WAL position. LSNs are 64-bit; they are compared and subtracted as bigints, never as
 * strings: the server prints them unpadded ("0/16B3748") while some libraries zero-pad them.
 */
export type Lsn = bigint & { readonly __brand: 'Lsn' };

export const ZERO_LSN = 0n as Lsn;

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** Parses "X/Y" as printed by PostgreSQL. Throws on anything else. */
export function parseLsn(text: string): Lsn {
  const match = LSN_TEXT.exec(text.trim());
  if (!match) throw new Error(`not an LSN: ${JSON.stringify(text)} (expected the form 16/B374D848)`);
  return ((BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`)) as Lsn;
}

export function lsnFromBigInt(value: bigint): Lsn {
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw new Error(`LSN out of range: ${value}`);
  return value as Lsn;
}

/** Formats as PostgreSQL does: upper and lower 32 bits in unpadded upper-case hex. */
export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffff_ffffn).toString(16).toUpperCase()}`;
}

export function maxLsn(a: Lsn, b: Lsn): Lsn {
  return a > b ? a : b;
}

export function minLsn(a: Lsn, b: Lsn): Lsn {
  return a < b ? a : b;
}

/** Bytes from `from` to `to`, or 0 when `to` is not past `from`. */
export function lsnDistance(to: Lsn, from: Lsn): number {
  return to > from ? Number(to - from) : 0;
}
