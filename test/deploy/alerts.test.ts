import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderAlertRules, type AlertRule, type RuleGroup } from './alert-rules.js';
import { CHART_DIR } from './helm-chart.js';
import { PROMTOOL_BINARY, requireTool, run } from './tools.js';

// The rules are checked as the chart ships them (rendered by helm), by the real promtool: syntax
// and PromQL with `check rules`, behaviour with `test rules` (test/deploy/alerts/<Alert>.test.yaml,
// one file per alert, each with a case where it fires and one where it does not).

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UNIT_TESTS = fileURLToPath(new URL('./alerts', import.meta.url));
const RUNBOOKS = join(ROOT, 'docs', 'runbooks');
const RUNBOOK_BASE = 'https://github.com/pgcarve/pgcarve/blob/main/docs/runbooks/';

let groups: readonly RuleGroup[];
let rules: readonly AlertRule[];
let dir: string;

beforeAll(async () => {
  groups = await renderAlertRules();
  rules = groups.flatMap((g) => g.rules);
  dir = mkdtempSync(join(tmpdir(), 'pgcarve-alerts-'));
  writeFileSync(join(dir, 'rules.yaml'), stringifyYaml({ groups }));
  for (const file of readdirSync(UNIT_TESTS)) cpSync(join(UNIT_TESTS, file), join(dir, file));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const alertFiles = () =>
  readdirSync(join(CHART_DIR, 'alerts'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();

describe('promtool', () => {
  test('check rules accepts the rendered rules', async () => {
    const promtool = requireTool(PROMTOOL_BINARY, 'promtool');
    const result = await run(promtool, ['check', 'rules', join(dir, 'rules.yaml')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  test('test rules passes every alert unit test', async () => {
    const promtool = requireTool(PROMTOOL_BINARY, 'promtool');
    const files = readdirSync(UNIT_TESTS).filter((f) => f.endsWith('.test.yaml'));
    const result = await run(promtool, ['test', 'rules', ...files], { cwd: dir });
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });
});

describe('every alert', () => {
  test('is one file in helm/pgcarve/alerts/ and one rule in the PrometheusRule', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(alertFiles());
  });

  test('has a unit test file that sees it fire and sees it stay quiet', () => {
    for (const alert of alertFiles()) {
      const path = join(UNIT_TESTS, `${alert}.test.yaml`);
      expect(existsSync(path), `test/deploy/alerts/${alert}.test.yaml`).toBe(true);
      const unit = parseYaml(readFileSync(path, 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
      const cases = unit.tests.flatMap((t) => t.alert_rule_test).filter((c) => c.alertname === alert);
      expect(cases.some((c) => c.exp_alerts.length > 0), `${alert} fires in a test`).toBe(true);
      expect(cases.some((c) => c.exp_alerts.length === 0), `${alert} stays quiet in a test`).toBe(true);
    }
  });

  test('has a severity, a summary, a description and a runbook_url to its runbook', () => {
    for (const rule of rules) {
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels['severity']);
      expect(rule.annotations['summary'], rule.alert).toBeTruthy();
      expect(rule.annotations['description'], rule.alert).toBeTruthy();
      expect(rule.annotations['runbook_url']).toBe(`${RUNBOOK_BASE}${rule.alert}.md`);
    }
  });

  test('has a runbook in docs/runbooks with Description, Impact, Diagnosis and Mitigation', () => {
    for (const rule of rules) {
      const path = join(RUNBOOKS, `${rule.alert}.md`);
      expect(existsSync(path), `docs/runbooks/${rule.alert}.md`).toBe(true);
      const text = readFileSync(path, 'utf8');
      expect(text.split('\n')[0], `${rule.alert}.md starts with its title`).toBe(`# ${rule.alert}`);
      const headings = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
      expect(headings, `${rule.alert}.md sections`).toEqual(['Description', 'Impact', 'Diagnosis', 'Mitigation']);
    }
    const runbooks = readdirSync(RUNBOOKS).filter((f) => f.endsWith('.md') && f !== 'README.md');
    expect(runbooks.map((f) => f.replace(/\.md$/, '')).sort(), 'no runbook without an alert').toEqual(alertFiles());
  });

  test('is scoped to this release (namespace and job), so two releases do not alert for each other', () => {
    for (const rule of rules) {
      for (const selector of rule.expr.match(/\{[^}]*\}/g) ?? []) {
        expect(selector, rule.alert).toContain('namespace="pgcarve"');
        expect(selector, rule.alert).toContain('job="pgcarve"');
      }
    }
  });

  test('takes its thresholds from the values', async () => {
    const custom = (await renderAlertRules(['monitoring.prometheusRule.thresholds.lagSecondsWarning=42'])).flatMap((g) => g.rules);
    expect(custom.find((r) => r.alert === 'PgcarveReplicationLagSecondsWarning')?.expr).toMatch(/> 42\s*$/);
  });
});
