import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Whether this process is in the foreground process group of its controlling terminal. A process
 * in the background of a terminal (`cmd &`, or under `timeout`, which moves its command to a
 * process group of its own) is stopped by SIGTTOU as soon as it sets the terminal's mode (raw
 * mode for a key press) and by SIGTTIN when it reads: the demo then neither reads keys nor
 * redraws in place. False without a controlling terminal.
 */
export function inTerminalForeground(): boolean {
  const groups = processGroups();
  return groups !== undefined && groups.foreground > 0 && groups.foreground === groups.own;
}

function processGroups(): { readonly own: number; readonly foreground: number } | undefined {
  try {
    // /proc/self/stat: "pid (comm) state ppid pgrp session tty_nr tpgid …"; comm may hold spaces.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { own: Number(fields[2]), foreground: Number(fields[5]) };
  } catch {
    // Not Linux: ask ps (macOS and the BSDs know tpgid too).
    try {
      const [own, foreground] = execFileSync('ps', ['-o', 'pgid=,tpgid=', '-p', String(process.pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
      return own !== undefined && foreground !== undefined ? { own, foreground } : undefined;
    } catch {
      return undefined;
    }
  }
}
