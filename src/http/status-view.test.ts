import { describe, expect, it } from 'vitest';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { parseLsn } from '../lsn.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
import { buildStatus, safeMessage, withSidecarView } from './status-view.js';
import type { TargetState } from './target-state.js';

describe('status view', () => {
  it.each([
    ['applying to user_db: invalid input syntax for type integer: "12ab"', 'applying to user_db: invalid input syntax for type integer: "…"'],
    ['invalid input value for enum mood: "very ""happy"""', 'invalid input value for enum mood: "…"'],
    ['column "bio" of relation "user_profiles" does not exist', 'column "bio" of relation "user_profiles" does not exist'],
    ['cannot connect to postgres://app:s3cret@db:5432/legacy', 'cannot connect to postgres://app:***@db:5432/legacy'],
  ])('keeps names but drops values and secrets: %s', (text, expected) => {
    expect(safeMessage(text)).toBe(expected);
  });

  it('says null for everything it could not read', () => {
    const view = buildStatus({ slot: 'pgcarve', publication: 'pgcarve', targets: new Map(), excludedTables: [] });
    expect(view.sidecar).toEqual({ reachable: false, phase: null, ready: null, sourceConnected: null, lastError: null });
    expect(view.legacyLsn).toBeNull();
    expect(view.services.map((s) => [s.service, s.checkpointLsn, s.lagBytes, s.writer.state])).toEqual(SERVICES.map((s) => [s, null, null, 'unknown']));
  });

  it('measures lag from the databases alone, and shows an unlimited safe WAL size as such', () => {
    const view = buildStatus({
      slot: 'pgcarve',
      publication: 'pgcarve',
      slotHealth: {
        readAtMs: 0,
        currentLsn: parseLsn('1/100'),
        exists: true,
        active: true,
        restartLsn: parseLsn('1/0'),
        confirmedFlushLsn: parseLsn('1/80'),
        walStatus: 'reserved',
        retainedWalBytes: 256,
        safeWalSizeBytes: Number.POSITIVE_INFINITY,
      },
      targets: new Map<ServiceName, TargetState | Error>([
        ['user_db', { checkpoint: parseLsn('1/100'), lastCommitTime: null, backfill: [], cutOverAt: null, sealLsn: null, direction: 'forward' }],
        ['document_db', { checkpoint: parseLsn('1/40'), lastCommitTime: null, backfill: [], cutOverAt: null, sealLsn: null, direction: 'forward' }],
        ['scraper_db', new Error('connection refused')],
      ]),
      excludedTables: [],
    });
    expect(view.slot).toMatchObject({ safeWalSizeBytes: 'unlimited', restartLsn: '1/0', confirmedFlushLsn: '1/80' });
    const byService = new Map(view.services.map((s) => [s.service, s]));
    expect(byService.get('user_db')).toMatchObject({ checkpointLsn: '1/100', lagBytes: 0, lagSeconds: 0 });
    expect(byService.get('document_db')).toMatchObject({ checkpointLsn: '1/40', lagBytes: 0xc0, lagSeconds: null });
    expect(byService.get('scraper_db')).toMatchObject({ checkpointLsn: null, databaseError: 'connection refused' });
  });

  it('shows the direction of each service and the reverse stream of a cut-over one, its error without values', () => {
    const view = buildStatus({
      slot: 'pgcarve',
      publication: 'pgcarve',
      targets: new Map<ServiceName, TargetState | Error>([
        ['user_db', { checkpoint: parseLsn('1/100'), lastCommitTime: null, backfill: [], cutOverAt: '2026-12-01T07:00:00Z', sealLsn: '0/100', direction: 'cut over: reverse' }],
        ['document_db', { checkpoint: parseLsn('1/100'), lastCommitTime: null, backfill: [], cutOverAt: null, sealLsn: null, direction: 'rolled back' }],
      ]),
      reverse: [
        {
          service: 'user_db',
          state: { kind: 'stopped', error: new PgcarveError('bad_input', 'applying a change of user_db.users: invalid input syntax for type integer: "12ab"') },
          appliedLsn: parseLsn('0/3000'),
          sourceLsn: parseLsn('0/3400'),
          lagBytes: 0x400,
        },
      ],
      excludedTables: [],
    });
    const byService = new Map(view.services.map((s) => [s.service, s]));
    expect(byService.get('user_db')).toMatchObject({
      direction: 'cut over: reverse',
      reverse: { state: 'stopped', appliedLsn: '0/3000', lagBytes: 1024, errorKind: 'bad_input', error: 'applying a change of user_db.users: invalid input syntax for type integer: "…"' },
    });
    expect(byService.get('document_db')).toMatchObject({ direction: 'rolled back', reverse: null });
    expect(byService.get('freezone_db')).toMatchObject({ direction: null, reverse: null });
  });
});

describe('pgcarve status with the sidecar answering', () => {
  it('keeps the unrouted tables it read from the legacy database just now over the sidecar’s older list', () => {
    const base = { slot: 'pgcarve', publication: 'pgcarve', targets: new Map(), excludedTables: [] };
    const fromDatabases = buildStatus({ ...base, unroutedTables: ['created_a_moment_ago'] });
    const sidecar = buildStatus({ ...base, unroutedTables: [] });
    expect(withSidecarView(fromDatabases, sidecar).unroutedTables).toEqual(['created_a_moment_ago']);
    const unreadable = buildStatus(base);
    expect(withSidecarView(unreadable, buildStatus({ ...base, unroutedTables: ['seen_by_sidecar'] })).unroutedTables).toEqual(['seen_by_sidecar']);
  });
});
