import { githubRepoOf, majorTag, releaseProblems } from '../../src/cli/action-ref';

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

describe('the release check (npm publish runs it)', () => {
  const readme = 'x\n      - uses: OWNER/leakcheck@v0 # this repository\n';

  test('a package without a GitHub repository is not published: init could not name the Action', () => {
    expect(releaseProblems({ version: '0.2.0' }, readme)).toEqual([
      expect.stringMatching(/^package\.json: "repository" must name the GitHub repository/),
    ]);
    expect(
      releaseProblems({ version: '0.2.0', repository: 'https://gitlab.com/a/b.git' }, readme),
    ).toHaveLength(1);
  });

  test('with the repository and the README on the same major, nothing stops it', () => {
    expect(releaseProblems({ version: '0.2.0', repository: 'github:acme/leakcheck' }, readme)).toEqual([]);
  });

  test('a README naming another major is caught', () => {
    expect(releaseProblems({ version: '1.0.0', repository: 'github:acme/leakcheck' }, readme)).toEqual([
      'README.md: "uses: OWNER/leakcheck@v0" should name v1',
    ]);
  });
});
