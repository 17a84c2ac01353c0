import { backfillCommand } from './backfill-command.js';
import type { Command } from './command.js';
import { cutoverCommand } from './cutover-command.js';
import { migrateCommand } from './migrate-command.js';
import { rollbackCommand } from './rollback-command.js';
import { runCommand } from './run-command.js';
import { statusCommand } from './status-command.js';
import { verifyCommand } from './verify-command.js';
import { waitSyncCommand } from './wait-sync-command.js';

/** Every CLI command, in the order `pgcarve --help` lists them. */
export const COMMANDS: readonly Command[] = [runCommand, migrateCommand, waitSyncCommand, statusCommand, verifyCommand, cutoverCommand, rollbackCommand, backfillCommand];
