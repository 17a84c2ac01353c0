/**
 * user_db: the target tables of the user service (monolith.md, "user_db").
 *
 * JS property keys equal the SQL column names, so a mapping's output row is keyed like the table.
 * Ids keep the legacy sequence type because the service inserts without an explicit id after
 * cutover. There are no foreign keys: the sidecar applies batches collapsed per key, in an order
 * a foreign key would reject. The unique constraints are made DEFERRABLE INITIALLY DEFERRED by
 * the custom migration `deferrable_uniques`, which names them as they are named here.
 */
import { sql } from 'drizzle-orm';
import { boolean, integer, jsonb, pgTable, serial, text, timestamp, unique } from 'drizzle-orm/pg-core';

/** Legacy `timestamp` (UTC) becomes `timestamptz`; strings keep the microseconds. */
const tz = { withTimezone: true, mode: 'string' } as const;

export const roles = pgTable(
  'roles',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    permissions: jsonb('permissions').notNull().default(sql`'[]'::jsonb`),
    created_at: timestamp('created_at', tz).notNull().defaultNow(),
  },
  (t) => [unique('roles_name_unique').on(t.name)],
);

export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    email: text('email').notNull(),
    password_hash: text('password_hash').notNull(),
    role_id: integer('role_id').notNull(),
    is_active: boolean('is_active').notNull().default(true),
    last_login_at: timestamp('last_login_at', tz),
    created_at: timestamp('created_at', tz).notNull().defaultNow(),
    updated_at: timestamp('updated_at', tz).notNull().defaultNow(),
  },
  (t) => [unique('users_email_unique').on(t.email)],
);

/** One per user, keyed by the user's id (no sequence of its own). */
export const userProfiles = pgTable('user_profiles', {
  user_id: integer('user_id').primaryKey(),
  full_name: text('full_name'),
  phone: text('phone'),
  company_name: text('company_name'),
  nationality: text('nationality'),
  avatar_url: text('avatar_url'),
  bio: text('bio'),
  updated_at: timestamp('updated_at', tz).notNull().defaultNow(),
});

export const tables = [roles, users, userProfiles] as const;
