import { copy, inverse, type InverseMapping } from '../inverse-mapping.js';
import { legacyTimestamp, oneToOne } from '../inverse-transforms.js';
import { roles, userProfiles, users } from './schema.js';

/**
 * user_db back to legacy (the inverse of mapping.ts): roles 1:1; `users` and `user_profiles`
 * merge back into one legacy `users` row. `users` carries the row (insert creates it, delete
 * deletes it); `user_profiles` carries the profile columns of that row (a delete clears them).
 * Both carry `updated_at`, the one legacy column they share: the last one written wins.
 */
export const userInverses: readonly InverseMapping[] = [
  oneToOne('user_db', roles, 'roles', ['created_at']),
  inverse({
    service: 'user_db',
    table: users,
    legacy: 'users',
    key: { id: 'id' },
    shape: { kind: 'row' },
    values: (row) => ({
      ...copy(row, ['id', 'email', 'password_hash', 'role_id', 'is_active']),
      last_login_at: legacyTimestamp(row.last_login_at),
      created_at: legacyTimestamp(row.created_at),
      updated_at: legacyTimestamp(row.updated_at),
    }),
  }),
  inverse({
    service: 'user_db',
    table: userProfiles,
    legacy: 'users',
    key: { id: 'user_id' },
    shape: { kind: 'part', clear: { full_name: null, phone: null, company_name: null, nationality: null, avatar_url: null, bio: null } },
    values: (row) => ({
      ...copy(row, ['full_name', 'phone', 'company_name', 'nationality', 'avatar_url', 'bio']),
      updated_at: legacyTimestamp(row.updated_at),
    }),
  }),
];
