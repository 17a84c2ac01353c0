import type { Command } from './command.js';
import { migrateCommand } from './migrate-command.js';

/** Every CLI command, in the order `pgcarve --help` lists them. */
export const COMMANDS: readonly Command[] = [migrateCommand];
