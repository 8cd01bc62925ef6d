import { redactHeaders, redactText, redactUrl, REDACTED } from '../../src/report/redact';
import { barChart } from '../../src/report/chart';

describe('redaction', () => {
  test('credential headers are replaced, templates and other headers kept', () => {
    expect(
      redactHeaders({
        Authorization: 'Bearer abc.def',
        cookie: 'sid=1',
        'x-trace': 't1',
        accept: 'application/json',
        authorization: 'Bearer {{user}}',
      }),
    ).toEqual({
      Authorization: REDACTED,
      cookie: REDACTED,
      // Default deny: only the documented allow-list keeps its values.
      'x-trace': REDACTED,
      accept: 'application/json',
      authorization: 'Bearer {{user}}',
    });
  });

  test('token-like query values are replaced', () => {
    expect(redactUrl('/cb?token=s3cr3t&page=2&api_key=k')).toBe(
      `/cb?token=${REDACTED}&page=2&api_key=${REDACTED}`,
    );
  });

  test('log lines lose bearer tokens and cookie values', () => {
    const line = 'GET /x authorization: Bearer eyJhbGciOi.payload.sig cookie: sid=abc; theme=dark';
    const out = redactText(line);
    expect(out).not.toContain('eyJhbGciOi');
    expect(out).not.toContain('sid=abc');
    expect(out).toContain('GET /x');
  });
});

describe('text chart', () => {
  test('a rising series rises from left to right', () => {
    const x = Array.from({ length: 30 }, (_, i) => i * 1000);
    const y = x.map((v) => 1e6 + v * 300);
    const lines = barChart(x, y, 30, 4);
    expect(lines).toHaveLength(4);
    const heights = [...Array(30).keys()].map((c) => lines.filter((l) => l[c] !== ' ').length);
    expect(heights[0]).toBe(1);
    expect(heights[29]).toBe(4);
    for (let c = 1; c < 30; c++) expect(heights[c]).toBeGreaterThanOrEqual(heights[c - 1] as number);
  });

  test('a flat series draws one row', () => {
    const lines = barChart([0, 1, 2], [5, 5, 5], 10, 3);
    expect(lines[2]?.trim().length).toBe(10);
    expect(lines[0]?.trim()).toBe('');
  });
});
