/** The alert rule generator: production defaults, test-scale overrides, validation, YAML. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import {
  AlertOptionsError,
  alertRules,
  defaultAlertRuleOptions,
  LEGACY_RECORD_NAMES,
  recordNames,
  renderAlertRules,
  RULE_NAMES,
  type Rule,
} from '../../src/alerts';
import { defaultWatchThresholds, formatPromDuration, parseBytes, parseDuration } from '../../src/watch';
import { formatBinaryBytes } from '../../src/watch/units';

function byName(rules: Rule[], name: string): Rule {
  const rule = rules.find((r) => ('alert' in r ? r.alert : r.record) === name);
  if (!rule) throw new Error(`no rule ${name}`);
  return rule;
}

describe('alertRules', () => {
  it('defaults to production windows: limit within 1 h for 10 m, growth over 6 h for 1 h', () => {
    const file = alertRules();
    expect(file.groups).toHaveLength(1);
    const group = file.groups[0] as (typeof file.groups)[number];
    expect(group.interval).toBeUndefined();
    // Prometheus' level:metric:operations names, windows included.
    const names = recordNames(defaultAlertRuleOptions());
    expect(names).toEqual({
      growthPerHour: 'instance:leakcheck_heap_used_after_gc_bytes_per_hour:deriv6h',
      predicted: 'instance:leakcheck_heap_used_after_gc_bytes:predict_linear1h',
      limitRatio: 'instance:leakcheck_heap_used_after_gc_per_limit:ratio',
      growthPerRequest: 'instance:leakcheck_heap_used_after_gc_bytes_per_request:ratio_deriv6h',
    });
    expect(byName(group.rules, names.predicted).expr).toBe(
      'predict_linear(leakcheck_heap_used_after_gc_bytes[1h], 3600)',
    );
    expect(byName(group.rules, names.growthPerHour).expr).toBe(
      'deriv(leakcheck_heap_used_after_gc_bytes[6h]) * 3600',
    );
    // No 0.1 names unless asked for.
    expect(group.rules.some((r) => 'record' in r && r.record.startsWith('leakcheck:'))).toBe(false);
    const limit = byName(group.rules, RULE_NAMES.limitAlert);
    expect(limit).toMatchObject({ for: '10m', labels: { severity: 'critical' } });
    expect(limit.expr).toBe(
      `${names.predicted} >= leakcheck_heap_limit_bytes\nand ${names.growthPerHour} > 0`,
    );
    const growth = byName(group.rules, RULE_NAMES.growthAlert);
    // max(1 MiB/h, 4 MiB / 6 h) = 1 MiB/h.
    expect(growth.expr).toBe(
      `${names.growthPerHour} > 1048576\nand increase(leakcheck_major_gcs_total[6h]) >= 3`,
    );
    expect(growth).toMatchObject({ for: '1h', labels: { severity: 'warning' } });
    expect(group.rules.some((r) => 'alert' in r && r.alert === RULE_NAMES.perRequestAlert)).toBe(false);
    // Every alert links to its README runbook section.
    for (const rule of group.rules) {
      if ('alert' in rule) {
        expect(rule.annotations?.runbook_url).toBe(
          `https://www.npmjs.com/package/leakcheck#runbook-${rule.alert.toLowerCase()}`,
        );
      }
    }
  });

  it("links every alert to a runbook section that exists in the README (the default base is the README's npm page)", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
    // GitHub's and npm's heading anchors: lower case, punctuation dropped, spaces to dashes.
    const anchors = new Set(
      [...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
        (m[1] as string)
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const group = alertRules({ thresholdPerRequest: 100, runbookBase: 'https://wiki.example.com/leaks#old' })
      .groups[0] as ReturnType<typeof alertRules>['groups'][number];
    const links = group.rules.flatMap((r) => ('alert' in r ? [r.annotations?.runbook_url ?? ''] : []));
    expect(links).toHaveLength(4);
    for (const link of links) {
      expect(link).toMatch(/^https:\/\/wiki\.example\.com\/leaks#runbook-/);
      expect(anchors).toContain(link.split('#')[1]);
    }
  });

  it('alerts per job, not per instance, when a job stops exporting', () => {
    const group = alertRules({ selector: 'env="prod"' }).groups[0] as ReturnType<
      typeof alertRules
    >['groups'][number];
    const absent = byName(group.rules, RULE_NAMES.absentAlert);
    expect(absent.expr).toBe(
      'group by (job) (present_over_time(leakcheck_heap_used_after_gc_bytes{env="prod"}[1h]))\n' +
        'unless group by (job) (leakcheck_heap_used_after_gc_bytes{env="prod"})',
    );
    expect(absent).toMatchObject({ for: '10m', labels: { severity: 'warning' } });
    const none = alertRules({ absentFor: null }).groups[0]?.rules ?? [];
    expect(none.some((r) => 'alert' in r && r.alert === RULE_NAMES.absentAlert)).toBe(false);
  });

  it('records the 0.1 names too when asked (deprecated), from the new series', () => {
    const options = { ...defaultAlertRuleOptions(), legacyNames: true, thresholdPerRequest: 8 };
    const rules = alertRules(options).groups[0]?.rules ?? [];
    const names = recordNames(options);
    for (const key of ['growthPerHour', 'predicted', 'limitRatio', 'growthPerRequest'] as const) {
      expect(byName(rules, LEGACY_RECORD_NAMES[key]).expr).toBe(names[key]);
    }
    expect(renderAlertRules(options)).toContain('deprecated');
  });

  it('takes short windows, a selector, a per-request alert and a limit matched on chosen labels', () => {
    const group = alertRules({
      interval: '1s',
      predictWindow: '20s',
      horizon: '10m',
      growthWindow: '30s',
      growthFor: '5s',
      minGrowth: 8e6,
      thresholdPerHour: 1e6,
      selector: 'job="api"',
      limit: 'container_spec_memory_limit_bytes',
      limitOn: ['pod'],
      thresholdPerRequest: 64,
    }).groups[0] as ReturnType<typeof alertRules>['groups'][number];
    expect(group.interval).toBe('1s');
    expect(byName(group.rules, 'instance:leakcheck_heap_used_after_gc_bytes:predict_linear20s').expr).toBe(
      'predict_linear(leakcheck_heap_used_after_gc_bytes{job="api"}[20s], 600)',
    );
    // 8 MB over 30 s is 960 MB/h, above the 1 MB/h threshold: the floor is the larger.
    expect(byName(group.rules, RULE_NAMES.growthAlert).expr).toMatch(
      /^instance:leakcheck_heap_used_after_gc_bytes_per_hour:deriv30s > 960000000\n/,
    );
    expect(byName(group.rules, RULE_NAMES.limitAlert).expr).toContain(
      '>= on (pod) group_left () container_spec_memory_limit_bytes{job="api"}',
    );
    expect(byName(group.rules, RULE_NAMES.perRequestAlert).expr).toMatch(
      /^instance:leakcheck_heap_used_after_gc_bytes_per_request:ratio_deriv30s > 64\n/,
    );
  });

  it('refuses options that cannot make valid rules, naming the option', () => {
    expect(() => alertRules({ horizon: '1 hour' })).toThrow(
      new AlertOptionsError('horizon: "1 hour" is not a Prometheus duration (expected e.g. 30s, 10m, 1h)'),
    );
    expect(() => alertRules({ selector: '{job="a"}' })).toThrow(
      /^selector: give label matchers without braces/,
    );
    expect(() => alertRules({ heapMetric: 'heap-used' })).toThrow(
      'heapMetric: "heap-used" is not a metric name',
    );
    expect(() => alertRules({ thresholdPerHour: -1 })).toThrow(
      'thresholdPerHour must be a number, 0 or above, got -1',
    );
  });

  it('renders YAML that reads back to the same rules', () => {
    const yaml = renderAlertRules({ thresholdPerRequest: 16 });
    expect(yaml.startsWith('# Generated by `leakcheck alerts`')).toBe(true);
    expect(parse(yaml)).toEqual(alertRules({ thresholdPerRequest: 16 }));
  });

  // Skipped only where promtool is missing and CI is not set; in CI a missing promtool fails.
  const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
  (promtool || process.env.CI ? it : it.skip)(
    'passes promtool check rules (defaults and every optional rule)',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-rules-'));
      try {
        const file = path.join(dir, 'rules.yml');
        fs.writeFileSync(
          file,
          renderAlertRules({
            ...defaultAlertRuleOptions(),
            thresholdPerRequest: 8,
            limitOn: ['instance'],
            interval: '30s',
            legacyNames: true,
          }),
        );
        const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
        // 4 recorded + 4 legacy names + 4 alerts; promtool also lints the names.
        expect(check.stdout).toContain('SUCCESS: 12 rules found');
        expect(check.status).toBe(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('durations and sizes', () => {
  it('parses Prometheus durations and writes them back', () => {
    expect(parseDuration('6h')).toBe(21600);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('1d')).toBe(86400);
    expect(parseDuration('500ms')).toBe(0.5);
    for (const bad of ['', '6', 'h', '30m1h', '1.5h', '-1h', '0s']) expect(parseDuration(bad)).toBeNull();
    expect(formatPromDuration(5400)).toBe('1h30m');
    expect(formatPromDuration(90)).toBe('1m30s');
  });

  it('parses byte sizes with decimal and binary units', () => {
    expect(parseBytes('1048576')).toBe(1048576);
    expect(parseBytes('512MiB')).toBe(512 * 1024 * 1024);
    expect(parseBytes('2GB')).toBe(2e9);
    expect(parseBytes('1.5 gi')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('2e9')).toBe(2e9);
    for (const bad of ['', 'lots', '-1', '5 parsecs', 'leakcheck_heap_limit_bytes'])
      expect(parseBytes(bad)).toBeNull();
    for (const [bytes, text] of [
      [1024 * 1024, '1MiB'],
      [256 * 1024, '256KiB'],
      [3 * 1024 ** 3, '3GiB'],
      [1000, '1000'],
    ] as const) {
      expect(formatBinaryBytes(bytes)).toBe(text);
      expect(parseBytes(text)).toBe(bytes);
    }
  });

  it("judges growth per hour as watch does: the heap's per-hour threshold of the catalogue", () => {
    const options = defaultAlertRuleOptions();
    const watch = defaultWatchThresholds('heapUsed').perHour;
    expect({ rate: options.thresholdPerHour, minGrowth: options.minGrowth }).toEqual(watch);
    expect(watch).toEqual({ rate: 1024 * 1024, minGrowth: 4 * 1024 * 1024 });
  });
});
