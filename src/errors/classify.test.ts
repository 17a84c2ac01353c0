import { describe, expect, it } from 'vitest';
import { classify, classifyKind } from './classify.js';
import { ERROR_POLICY, PgcarveError } from './pgcarve-error.js';

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
    const cause = Object.assign(new Error('duplicate key value violates unique constraint "roles_name_unique"'), { code: '23505', table: 'roles', constraint: 'roles_name_unique' });
    const wrapped = classify(cause, 'applying to user_db');
    expect(wrapped.message).toBe(`applying to user_db: a row repeats a key of a unique constraint (duplicate key) (SQLSTATE 23505, table roles, constraint roles_name_unique): ${ERROR_POLICY.constraint_violation.remedy}`);
    expect(wrapped.cause).toBe(cause);
  });

  it('keeps a server text that names objects only, adds the remedy for a kind the operator acts on, and none to a transient one', () => {
    const missing = Object.assign(new Error('relation "roles" does not exist'), { code: '42P01' });
    expect(classify(missing, 'applying to user_db').message).toBe(`applying to user_db: relation "roles" does not exist: ${ERROR_POLICY.table_missing.remedy}`);
    const restart = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(classify(restart, 'streaming').message).toBe('streaming: terminating connection due to administrator command');
    const pipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    expect(classify(pipe, 'streaming').message).toBe('streaming: write EPIPE');
  });

  it("a trigger's exception (P0001) can quote anything: only its SQLSTATE is in the message", () => {
    const raised = Object.assign(new Error('row 12ab is bad'), { code: 'P0001' });
    expect(classify(raised, 'applying to user_db').message).toBe('applying to user_db: the server reported an error (SQLSTATE P0001)');
  });

  it('leaves a PgcarveError as it is', () => {
    const original = new PgcarveError('mapping_threw', 'boom');
    expect(classify(original, 'x')).toBe(original);
  });
});

describe('classify keeps the driver text out of the message', () => {
  it('a 22P02 that quotes a row value: the message names the kind, the context and the fields, the value stays in cause, the remedy is there', () => {
    const driver = Object.assign(new Error('invalid input syntax for type integer: "abc"'), { code: '22P02', table: 'users', column: 'age' });
    const error = classify(driver, 'applying to user_db');
    expect(error).toBeInstanceOf(PgcarveError);
    expect(error.kind).toBe('bad_input');
    expect(error.message).not.toContain('abc');
    expect(error.message).toContain('applying to user_db');
    expect(error.message).toContain('table users');
    expect(error.message).toContain('column age');
    expect(error.message).toContain(ERROR_POLICY.bad_input.remedy);
    expect(error.remedy).toBe(ERROR_POLICY.bad_input.remedy);
    expect(error.cause).toBe(driver);
  });
});
