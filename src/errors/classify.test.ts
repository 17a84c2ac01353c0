import { describe, expect, it } from 'vitest';
import { classify, classifyKind } from './classify.js';
import { PgcarveError } from './pgcarve-error.js';
import { REMEDIES } from './remedy.js';

describe('classify', () => {
  it.each([
    [{ code: '40001' }, 'serialization_failure', true],
    [{ code: '40P01' }, 'deadlock', true],
    [{ code: '57P01' }, 'server_restarting', true],
    [{ code: '08006' }, 'connection_lost', true],
    [{ code: 'ECONNREFUSED' }, 'connection_lost', true],
    [{ code: '23505' }, 'constraint_violation', false],
    [{ code: '23502' }, 'constraint_violation', false],
    [{ code: '42703' }, 'column_missing', false],
    [{ code: '42501' }, 'privilege', false],
    [{ code: '3D000' }, 'database_missing', false],
    [{ code: '22P02' }, 'bad_input', false],
    [new Error('Connection terminated unexpectedly'), 'connection_lost', true],
    [new Error('something else'), 'internal', false],
    ['a string', 'internal', false],
  ])('%j is %s', (error, kind, retryable) => {
    expect(classifyKind(error)).toBe(kind);
    expect(classify(error, 'doing x').retryable).toBe(retryable);
  });

  it('keeps the cause and the context', () => {
    const cause = Object.assign(new Error('duplicate key'), { code: '23505' });
    const wrapped = classify(cause, 'applying to user_db');
    expect(wrapped.message).toBe('applying to user_db: duplicate key');
    expect(wrapped.cause).toBe(cause);
  });

  it('drops a value the server quotes, and adds the remedy to a server text that has none', () => {
    const typed = Object.assign(new Error('invalid input syntax for type integer: "12ab"'), { code: '22P02' });
    expect(classify(typed, 'user_db.public.users (rows of legacy table users, key (id))').message).toBe('user_db.public.users (rows of legacy table users, key (id)): invalid input syntax for type integer: "…"');
    const missing = Object.assign(new Error('relation "roles" does not exist'), { code: '42P01' });
    expect(classify(missing, 'applying to user_db').message).toBe(`applying to user_db: relation "roles" does not exist: ${REMEDIES.table_missing}`);
  });

  it('leaves a PgcarveError as it is', () => {
    const original = new PgcarveError('mapping_threw', 'boom');
    expect(classify(original, 'x')).toBe(original);
  });
});
