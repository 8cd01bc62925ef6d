/** Jest global teardown: removes the run's temporary folder made by test/tmp-setup.js. */
const fs = require('node:fs');

module.exports = function teardown() {
  const dir = process.env.LEAKCHECK_JEST_TMPDIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
};
