import { describe, it } from 'vitest';
import { expectRoundTrip, TRAPS } from '../../test/mappings/inverse-round-trip.js';
import { roles, userProfiles, users } from './schema.js';

const user = (id: string, over: Record<string, string | null> = {}) => ({
  table: users,
  row: { id, email: `u${id}@example.com`, password_hash: 'hash', role_id: '1', is_active: 't', last_login_at: TRAPS.micros, created_at: TRAPS.bc, updated_at: '2024-01-02 03:04:05+00', ...over },
});
const profile = (id: string, over: Record<string, string | null> = {}) => ({
  table: userProfiles,
  row: { user_id: id, full_name: TRAPS.unicode, phone: null, company_name: 'ACME', nationality: 'AE', avatar_url: null, bio: '', updated_at: '2024-01-02 03:04:05+00', ...over },
});

describe('user_db inverse mappings: forward(inverse(rows)) = rows', () => {
  it('roles 1:1 (jsonb kept as text, µs timestamps)', () => {
    expectRoundTrip([{ table: roles, row: { id: '2147483647', name: TRAPS.unicode, permissions: TRAPS.json, created_at: TRAPS.micros } }]);
  });

  it('users and user_profiles merge into one legacy users row', () => {
    expectRoundTrip([user('7'), profile('7')]);
    expectRoundTrip([user('8', { last_login_at: null, is_active: 'f', created_at: TRAPS.infinity }), profile('8', { full_name: null, company_name: null, nationality: null, bio: null })]);
  });
});
