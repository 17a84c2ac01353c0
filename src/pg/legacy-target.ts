import type { ConnectionTarget } from '../errors/connection-failure.js';

/** The legacy database as the operator configured it, for a failed connect's message. */
export const LEGACY_TARGET: Omit<ConnectionTarget, 'url'> = { key: 'DATABASE_URL_LEGACY', label: 'the legacy database' };
