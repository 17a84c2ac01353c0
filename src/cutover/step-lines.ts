/** A step of a runbook report (cutover, rollback): its name, status and what it found. */
export interface ReportStep {
  readonly step: string;
  readonly status: 'ok' | 'refused' | 'error' | 'skipped' | 'not-run';
  readonly detail: string;
}

const MARK = { ok: 'ok     ', refused: 'REFUSED', error: 'ERROR  ', skipped: 'skipped', 'not-run': 'not run' } as const;

/** One line per step, for a person: status, step name (aligned), detail (continued lines indented). */
export function stepLines(steps: readonly ReportStep[]): readonly string[] {
  const width = Math.max(0, ...steps.map((s) => s.step.length));
  const indent = ' '.repeat(width + 12);
  return steps.map((s) => `  ${MARK[s.status]}  ${s.step.padEnd(width)} ${s.detail.split('\n').join(`\n${indent}`)}`);
}
