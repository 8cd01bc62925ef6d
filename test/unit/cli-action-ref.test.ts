import { githubRepoOf, majorTag } from '../../src/cli/action-ref';

describe('the Action reference init writes', () => {
  test.each([
    ['github:acme/leakcheck', 'acme/leakcheck'],
    ['acme/leakcheck', 'acme/leakcheck'],
    ['https://github.com/acme/leakcheck.git', 'acme/leakcheck'],
    ['git+https://github.com/acme/leakcheck.git', 'acme/leakcheck'],
    ['git@github.com:acme/leakcheck.git', 'acme/leakcheck'],
    ['https://github.com/acme/leakcheck', 'acme/leakcheck'],
  ])('repository %s → %s', (value, repo) => {
    expect(githubRepoOf(value)).toBe(repo);
    expect(githubRepoOf({ type: 'git', url: value })).toBe(repo);
  });

  test('what is not a GitHub repository gives nothing', () => {
    expect(githubRepoOf('https://gitlab.com/acme/leakcheck.git')).toBeNull();
    expect(githubRepoOf(undefined)).toBeNull();
    expect(githubRepoOf({})).toBeNull();
  });

  test('the tag is the package major', () => {
    expect(majorTag('0.1.0')).toBe('v0');
    expect(majorTag('2.3.4')).toBe('v2');
  });
});
