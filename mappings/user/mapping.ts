import { emit, owned, type TableMapping } from '../table-mapping.js';
import { keyColumn, utcTimestamptz } from '../transforms.js';
import { roles, userProfiles, users } from './schema.js';

/** user_db (monolith.md): roles 1:1; legacy users split into users and user_profiles. */

const rolesTarget = owned('user_db', roles, (key) => ({ id: keyColumn(key, 'id') }));
const usersTarget = owned('user_db', users, (key) => ({ id: keyColumn(key, 'id') }));
const userProfilesTarget = owned('user_db', userProfiles, (key) => ({ user_id: keyColumn(key, 'id') }));

export const userMappings: readonly TableMapping[] = [
  {
    kind: 'mapped',
    source: 'roles',
    sourceKey: ['id'],
    targets: [rolesTarget],
    map: (row) => [
      emit(rolesTarget, {
        id: row.id,
        name: row.name,
        permissions: row.permissions,
        created_at: utcTimestamptz(row.created_at),
      }),
    ],
  },
  {
    kind: 'mapped',
    source: 'users',
    sourceKey: ['id'],
    targets: [usersTarget, userProfilesTarget],
    map: (row) => [
      emit(usersTarget, {
        id: row.id,
        email: row.email,
        password_hash: row.password_hash,
        role_id: row.role_id,
        is_active: row.is_active,
        last_login_at: utcTimestamptz(row.last_login_at),
        created_at: utcTimestamptz(row.created_at),
        updated_at: utcTimestamptz(row.updated_at),
      }),
      emit(userProfilesTarget, {
        user_id: row.id,
        full_name: row.full_name,
        phone: row.phone,
        company_name: row.company_name,
        nationality: row.nationality,
        avatar_url: row.avatar_url,
        bio: row.bio,
        updated_at: utcTimestamptz(row.updated_at),
      }),
    ],
  },
];
