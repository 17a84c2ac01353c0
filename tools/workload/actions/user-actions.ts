import * as v from '../legacy-values.js';
import { NOW, type WorkloadAction } from './workload-action.js';

/** Sign-ups, logins, profile edits, role changes, and the rare account deletion. */
export const USER_ACTIONS: readonly WorkloadAction[] = [
  {
    name: 'sign-up',
    weight: 6,
    writes: ['users', 'sessions'],
    run: async ({ rng, unique, write }) => {
      const count = rng.weighted([[8, 1], [2, 3], [1, 10]]);
      for (let i = 0; i < count; i += 1) {
        const user = await write('users', 'insert',
          `INSERT INTO public.users (email, password_hash, role_id, full_name, phone, company_name, nationality, bio, last_login_at, created_at, updated_at)
           VALUES ($1, $2, (SELECT id FROM public.roles ORDER BY id LIMIT 1 OFFSET $3), $4, $5, $6, $7, $8, NULL, ${NOW}, ${NOW}) RETURNING id::text AS id`,
          [`wl-${unique()}@example.test`, `$2b$10$${rng.hex(53)}`, rng.int(1, 5), v.fullName(rng), rng.chance(0.5) ? null : `+971 50 ${rng.int(100, 999)} ${rng.int(1000, 9999)}`,
            rng.chance(0.5) ? null : v.companyName(rng), rng.pick(v.NATIONALITIES), rng.chance(0.5) ? null : rng.pick(v.BIOS)]);
        if (rng.chance(0.5)) {
          await write('sessions', 'insert', `INSERT INTO public.sessions (id, user_id, token_hash, expires_at) VALUES (gen_random_uuid(), $1, $2, ${NOW} + interval '30 days')`,
            [(user.rows[0] as { id: string }).id, rng.hex(64)]);
        }
      }
    },
  },
  {
    name: 'login',
    weight: 14,
    writes: ['users', 'sessions', 'activity_logs'],
    run: async ({ rng, pick, write }) => {
      const user = await pick('users', 'update', 'is_active');
      if (!user) return;
      await write('users', 'update', `UPDATE public.users SET last_login_at = ${NOW} WHERE id = $1`, [user]);
      await write('sessions', 'insert', `INSERT INTO public.sessions (id, user_id, token_hash, expires_at) VALUES (gen_random_uuid(), $1, $2, ${NOW} + interval '30 days')`, [user, rng.hex(64)]);
      if (rng.chance(0.3)) {
        await write('activity_logs', 'insert', `INSERT INTO public.activity_logs (actor_user_id, action, entity, entity_id, details, created_at) VALUES ($1::int, 'login', 'user', $1::int::text, $2, ${NOW})`,
          [user, v.jsonText({ ip: `10.1.${rng.int(0, 255)}.${rng.int(1, 254)}`, agent: 'Mozilla/5.0 (عربي) 🦊' })]);
      }
    },
  },
  {
    name: 'logout',
    weight: 3,
    writes: ['sessions'],
    run: async ({ rng, write }) => {
      await write('sessions', 'delete', `DELETE FROM public.sessions WHERE id IN (SELECT id FROM public.sessions WHERE id >= $1::uuid ORDER BY id LIMIT $2)`, [rng.uuid(), rng.int(1, 3)]);
    },
  },
  {
    name: 'profile edit',
    weight: 6,
    writes: ['users'],
    run: async ({ rng, pick, write }) => {
      const user = await pick('users', 'update');
      if (!user) return;
      await write('users', 'update',
        `UPDATE public.users SET full_name = $2, bio = $3, company_name = coalesce($4, company_name), avatar_url = $5, updated_at = ${NOW} WHERE id = $1`,
        [user, v.fullName(rng), rng.chance(0.3) ? null : rng.pick(v.BIOS), rng.chance(0.5) ? null : v.companyName(rng), rng.chance(0.5) ? null : `https://cdn.example.test/a/${rng.hex(10)}.webp`]);
    },
  },
  {
    name: 'role change',
    weight: 2,
    writes: ['users'],
    run: async ({ rng, pick, write }) => {
      const user = await pick('users', 'update');
      const role = await pick('roles', 'key share');
      if (!user || !role) return;
      await write('users', 'update', `UPDATE public.users SET role_id = $2, is_active = $3, updated_at = ${NOW} WHERE id = $1`, [user, role, rng.chance(0.9)]);
    },
  },
  {
    name: 'role permissions edit',
    weight: 1,
    writes: ['roles'],
    run: async ({ rng, pick, unique, write }) => {
      if (rng.chance(0.2)) {
        await write('roles', 'insert', `INSERT INTO public.roles (name, permissions, created_at) VALUES ($1, $2, ${NOW})`, [`role-${unique()}`, v.jsonText(['documents:read'])]);
        return;
      }
      const role = await pick('roles', 'update');
      if (!role) return;
      await write('roles', 'update', `UPDATE public.roles SET permissions = $2 WHERE id = $1`, [role, v.jsonText([rng.pick(['zones:*', 'documents:write', 'scraper:run']), { scope: rng.pick(['own', 'all', 'تجريبي']) }])]);
    },
  },
  {
    name: 'account deletion',
    weight: 0.5,
    writes: ['users', 'sessions', 'documents', 'template_submissions', 'business_setup', 'conversations', 'messages', 'assistant_memory'],
    run: async ({ pick, read, write }) => {
      // Parents are locked before their children go: every action that references a row holds
      // KEY SHARE on it, so nothing new can point at these rows once the locks are granted.
      const user = await pick('users', 'update', `email LIKE 'wl-%'`);
      if (!user) return;
      await read('SELECT id FROM public.documents WHERE user_id = $1 ORDER BY id FOR UPDATE', [user]);
      await read('SELECT id FROM public.conversations WHERE user_id = $1 ORDER BY id FOR UPDATE', [user]);
      await write('template_submissions', 'delete', `DELETE FROM public.template_submissions WHERE user_id = $1 OR template_id IN (SELECT id FROM public.documents WHERE user_id = $1)`, [user]);
      await write('documents', 'delete', `DELETE FROM public.documents WHERE user_id = $1`, [user]);
      await write('messages', 'delete', `DELETE FROM public.messages WHERE conversation_id IN (SELECT id FROM public.conversations WHERE user_id = $1)`, [user]);
      await write('conversations', 'delete', `DELETE FROM public.conversations WHERE user_id = $1`, [user]);
      await write('sessions', 'delete', `DELETE FROM public.sessions WHERE user_id = $1`, [user]);
      await write('business_setup', 'delete', `DELETE FROM public.business_setup WHERE user_id = $1`, [user]);
      await write('assistant_memory', 'delete', `DELETE FROM public.assistant_memory WHERE user_id = $1`, [user]);
      await write('users', 'delete', `DELETE FROM public.users WHERE id = $1`, [user]);
    },
  },
];
