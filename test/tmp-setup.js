/**
 * Jest global setup: one temporary folder per jest run, made the run's TMPDIR, so everything the
 * tests and the processes they start put in os.tmpdir() (reports, scratch repositories, Prometheus
 * data, worktrees) is removed with it by test/tmp-teardown.js. Test workers are started after this
 * and inherit the variable.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = function setup() {
  const outer = os.tmpdir();
  const dir = fs.mkdtempSync(path.join(outer, 'leakcheck-jest-'));
  process.env.LEAKCHECK_JEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
};
