import { PgcarveError } from '../errors/pgcarve-error.js';
import type { Lsn } from '../lsn.js';
import type {
  PgoutputEvent,
  RelationColumn,
  ReplicaIdentity,
  Tuple,
  TupleValue,
} from './pgoutput-events.js';
import { COLUMN_FLAG_KEY } from './pgoutput-events.js';

// Message and tuple tags (PostgreSQL's "Logical Replication Message Formats").
const BEGIN = 0x42; // B
const COMMIT = 0x43; // C
const ORIGIN = 0x4f; // O
const RELATION = 0x52; // R
const TYPE = 0x59; // Y
const INSERT = 0x49; // I
const UPDATE = 0x55; // U
const DELETE = 0x44; // D
const TRUNCATE = 0x54; // T
const MESSAGE = 0x4d; // M
const STREAM_START = 0x53; // S
const STREAM_STOP = 0x45; // E
const STREAM_COMMIT = 0x63; // c
const STREAM_ABORT = 0x41; // A
/** Protocol v3 (two_phase): begin prepare, prepare, commit prepared, rollback prepared, stream prepare. */
const TWO_PHASE = new Set([0x62, 0x50, 0x4b, 0x72, 0x70]);

const TUPLE_NEW = 0x4e; // N
const TUPLE_KEY = 0x4b; // K
const TUPLE_OLD = 0x4f; // O

const VALUE_TEXT = 0x74; // t
const VALUE_NULL = 0x6e; // n
const VALUE_UNCHANGED_TOAST = 0x75; // u
const VALUE_BINARY = 0x62; // b

/**
 * Node's Buffer has long had `utf8Slice(start, end)` (undocumented, untyped); `toString('utf8', …)`
 * is a wrapper around it whose argument handling costs ~10% of the decoder's time on typical rows.
 */
interface Utf8SliceBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
}

const MESSAGE_TRANSACTIONAL = 1;
const TRUNCATE_CASCADE = 1;
const TRUNCATE_RESTART_IDENTITY = 2;

/**
 * Decodes pgoutput messages (protocol versions 1 and 2, text mode) into typed events.
 *
 * Values are never interpreted: a text column is returned as the exact string the server sent.
 * One decoder serves one replication stream, in order: it remembers whether it is between
 * `stream_start` and `stream_stop`, because only there do changes carry a transaction id.
 * A malformed or unsupported message throws a PgcarveError of kind `internal`; the decoder is then
 * in an unknown state and the stream must be restarted (with a fresh decoder), not continued.
 */
export class PgoutputDecoder {
  private buf = Buffer.alloc(0) as Utf8SliceBuffer;
  private pos = 0;
  private inStream = false;

  /** `buf` is one pgoutput message: the XLogData payload after its 25-byte 'w' header. */
  decode(buf: Buffer): PgoutputEvent {
    this.buf = buf as Utf8SliceBuffer;
    this.pos = 1;
    let event: PgoutputEvent;
    try {
      event = this.body(buf[0]);
    } catch (error) {
      // Buffer reads past the end throw RangeError (ERR_OUT_OF_RANGE, ERR_BUFFER_OUT_OF_BOUNDS).
      if (error instanceof RangeError) {
        throw decodeError(truncated(`message ${describeByte(buf[0] ?? 0)}`, buf.length), error);
      }
      throw error;
    }
    if (this.pos !== buf.length) {
      throw decodeError(
        `pgoutput ${event.kind} message has ${buf.length - this.pos} unexpected trailing bytes ` +
          `(${buf.length} bytes, decoded ${this.pos}): the server speaks a protocol version this decoder does not know`,
      );
    }
    return event;
  }

  // Object literals below read their fields in source order, which is the wire order.
  private body(tag: number | undefined): PgoutputEvent {
    switch (tag) {
      case INSERT: {
        const xid = this.streamXid();
        const relationId = this.uint32();
        this.expectTupleTag(TUPLE_NEW, 'insert');
        return { kind: 'insert', xid, relationId, newTuple: this.tuple() };
      }
      case UPDATE:
        return this.update();
      case DELETE:
        return this.delete();
      case BEGIN:
        return {
          kind: 'begin',
          finalLsn: this.lsn(),
          commitTime: this.timestamp(),
          xid: this.uint32(),
        };
      case COMMIT:
        return {
          kind: 'commit',
          flags: this.uint8(),
          commitLsn: this.lsn(),
          endLsn: this.lsn(),
          commitTime: this.timestamp(),
        };
      case RELATION:
        return this.relation();
      case TYPE:
        return {
          kind: 'type',
          xid: this.streamXid(),
          typeOid: this.uint32(),
          schema: this.cString(),
          name: this.cString(),
        };
      case ORIGIN:
        return { kind: 'origin', originLsn: this.lsn(), name: this.cString() };
      case TRUNCATE:
        return this.truncate();
      case MESSAGE:
        return this.logicalMessage();
      case STREAM_START: {
        const event = { kind: 'stream_start', xid: this.uint32(), firstSegment: this.uint8() === 1 } as const;
        this.inStream = true;
        return event;
      }
      case STREAM_STOP:
        this.inStream = false;
        return { kind: 'stream_stop' };
      case STREAM_COMMIT:
        return {
          kind: 'stream_commit',
          xid: this.uint32(),
          flags: this.uint8(),
          commitLsn: this.lsn(),
          endLsn: this.lsn(),
          commitTime: this.timestamp(),
        };
      case STREAM_ABORT:
        return this.streamAbort();
      default:
        throw decodeError(unknownMessage(tag));
    }
  }

  private update(): PgoutputEvent {
    const xid = this.streamXid();
    const relationId = this.uint32();
    let keyTuple: Tuple | undefined;
    let oldTuple: Tuple | undefined;
    let tag = this.uint8();
    if (tag === TUPLE_KEY) {
      keyTuple = this.tuple();
      tag = this.uint8();
    } else if (tag === TUPLE_OLD) {
      oldTuple = this.tuple();
      tag = this.uint8();
    }
    if (tag !== TUPLE_NEW) throw decodeError(unexpectedTupleTag(tag, 'update', "'N'"));
    return { kind: 'update', xid, relationId, keyTuple, oldTuple, newTuple: this.tuple() };
  }

  private delete(): PgoutputEvent {
    const xid = this.streamXid();
    const relationId = this.uint32();
    const tag = this.uint8();
    if (tag === TUPLE_KEY) return { kind: 'delete', xid, relationId, keyTuple: this.tuple(), oldTuple: undefined };
    if (tag === TUPLE_OLD) return { kind: 'delete', xid, relationId, keyTuple: undefined, oldTuple: this.tuple() };
    throw decodeError(unexpectedTupleTag(tag, 'delete', "'K' or 'O'"));
  }

  private relation(): PgoutputEvent {
    const xid = this.streamXid();
    const relationId = this.uint32();
    const schema = this.cString();
    const name = this.cString();
    const replicaIdentity = replicaIdentityOf(this.uint8());
    const count = this.uint16();
    const columns: RelationColumn[] = [];
    const keyColumns: string[] = [];
    for (let i = 0; i < count; i++) {
      const flags = this.uint8();
      const columnName = this.cString();
      columns.push({ name: columnName, flags, typeOid: this.uint32(), typeMod: this.int32() });
      if ((flags & COLUMN_FLAG_KEY) !== 0) keyColumns.push(columnName);
    }
    return { kind: 'relation', xid, relationId, schema, name, replicaIdentity, columns, keyColumns };
  }

  private truncate(): PgoutputEvent {
    const xid = this.streamXid();
    const count = this.uint32();
    const options = this.uint8();
    const relationIds: number[] = [];
    for (let i = 0; i < count; i++) relationIds.push(this.uint32());
    return {
      kind: 'truncate',
      xid,
      relationIds,
      cascade: (options & TRUNCATE_CASCADE) !== 0,
      restartIdentity: (options & TRUNCATE_RESTART_IDENTITY) !== 0,
    };
  }

  private logicalMessage(): PgoutputEvent {
    const xid = this.streamXid();
    const flags = this.uint8();
    const messageLsn = this.lsn();
    const prefix = this.cString();
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    if (end > this.buf.length) throw decodeError(truncated('message content', this.buf.length));
    this.pos = end;
    return {
      kind: 'message',
      xid,
      transactional: (flags & MESSAGE_TRANSACTIONAL) !== 0,
      messageLsn,
      prefix,
      // A copy: the caller may keep the content after the network buffer is reused.
      content: Buffer.from(this.buf.subarray(start, end)),
    };
  }

  private streamAbort(): PgoutputEvent {
    const xid = this.uint32();
    const subXid = this.uint32();
    // Protocol v4 with streaming = parallel adds the abort LSN and time.
    if (this.buf.length - this.pos >= 16) {
      return { kind: 'stream_abort', xid, subXid, abortLsn: this.lsn(), abortTime: this.timestamp() };
    }
    return { kind: 'stream_abort', xid, subXid, abortLsn: undefined, abortTime: undefined };
  }

  /** TupleData: Int16 column count, then per column a tag and, for 't', Int32 length + bytes. */
  private tuple(): Tuple {
    const buf = this.buf;
    let pos = this.pos;
    if (pos + 2 > buf.length) throw decodeError(truncated('tuple', buf.length));
    const count = (buf[pos] as number) * 256 + (buf[pos + 1] as number);
    pos += 2;
    // Sized once: a tuple is one array of its column count, filled in place (no growth while pushing).
    const values = new Array<TupleValue>(count);
    for (let i = 0; i < count; i++) {
      const tag = buf[pos++];
      if (tag === VALUE_TEXT) {
        const length = buf.readUInt32BE(pos);
        const start = pos + 4;
        pos = start + length;
        if (pos > buf.length) throw decodeError(truncated(`column ${i + 1}`, buf.length));
        values[i] = buf.utf8Slice(start, pos);
      } else if (tag === VALUE_NULL) {
        values[i] = null;
      } else if (tag === VALUE_UNCHANGED_TOAST) {
        values[i] = undefined;
      } else if (tag === VALUE_BINARY) {
        throw decodeError(
          `pgoutput sent column ${i + 1} in binary format; pgcarve decodes text only: ` +
            `start replication without the pgoutput option binary 'true'`,
        );
      } else if (tag === undefined) {
        throw decodeError(truncated(`column ${i + 1}`, buf.length));
      } else {
        throw decodeError(`pgoutput tuple column ${i + 1} has unknown kind ${describeByte(tag)}`);
      }
    }
    this.pos = pos;
    return values;
  }

  private expectTupleTag(expected: number, message: string): void {
    const tag = this.uint8();
    if (tag !== expected) throw decodeError(unexpectedTupleTag(tag, message, `'${String.fromCharCode(expected)}'`));
  }

  /** Changes, relations, types and messages carry their transaction id only inside a stream. */
  private streamXid(): number | undefined {
    return this.inStream ? this.uint32() : undefined;
  }

  private uint8(): number {
    const value = this.buf.readUInt8(this.pos);
    this.pos += 1;
    return value;
  }

  private uint16(): number {
    const value = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  private uint32(): number {
    const value = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  private int32(): number {
    const value = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  private lsn(): Lsn {
    const value = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return value as Lsn;
  }

  /** TimestampTz is signed: microseconds before 2000-01-01 are negative. */
  private timestamp(): bigint {
    const value = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return value;
  }

  /** A NUL-terminated string. Identifiers and prefixes may hold any UTF-8, so decode as UTF-8. */
  private cString(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw decodeError(truncated('string', this.buf.length));
    const value = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return value;
  }
}

/**
 * A tuple keyed by column name. `columns` are those of the relation event the change refers to;
 * a column-count mismatch means the relation event is stale and throws.
 */
export function tupleToRecord(
  tuple: Tuple,
  columns: readonly RelationColumn[],
): Record<string, TupleValue> {
  if (tuple.length !== columns.length) {
    throw decodeError(
      `pgoutput tuple has ${tuple.length} columns but its relation has ${columns.length}: ` +
        'the relation message for this change was missed or is stale',
    );
  }
  const record: Record<string, TupleValue> = {};
  for (let i = 0; i < columns.length; i++) {
    // Both indexes are in range: the lengths are equal.
    const name = (columns[i] as RelationColumn).name;
    if (name === '__proto__') {
      // A legal column name; plain assignment would hit Object.prototype's setter and drop it.
      Object.defineProperty(record, name, { value: tuple[i], enumerable: true, writable: true, configurable: true });
    } else {
      record[name] = tuple[i];
    }
  }
  return record;
}

/**
 * Decoding errors are fatal: the same bytes would fail again, so retrying cannot help. They name
 * message and column positions, never values.
 */
function decodeError(message: string, cause?: unknown): PgcarveError {
  return new PgcarveError('internal', message, cause === undefined ? undefined : { cause });
}

function replicaIdentityOf(byte: number): ReplicaIdentity {
  switch (byte) {
    case 0x64: // d
      return 'default';
    case 0x6e: // n
      return 'nothing';
    case 0x66: // f
      return 'full';
    case 0x69: // i
      return 'index';
    default:
      throw decodeError(`pgoutput relation message has unknown replica identity ${describeByte(byte)}`);
  }
}

function unknownMessage(tag: number | undefined): string {
  if (tag === undefined) return 'empty pgoutput message';
  if (TWO_PHASE.has(tag)) {
    return (
      `pgoutput two-phase message ${describeByte(tag)} (protocol v3) is not supported: ` +
      'start replication without the two_phase option'
    );
  }
  return `unknown pgoutput message type ${describeByte(tag)}`;
}

function unexpectedTupleTag(tag: number, message: string, expected: string): string {
  return `pgoutput ${message} message has tuple marker ${describeByte(tag)} where ${expected} was expected`;
}

function truncated(what: string, length: number): string {
  return `pgoutput message truncated in ${what} (${length} bytes)`;
}

/** "'X' (0x58)" for printable bytes, "0x07" otherwise. */
function describeByte(byte: number): string {
  const hex = `0x${byte.toString(16).padStart(2, '0')}`;
  return byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}' (${hex})` : hex;
}
