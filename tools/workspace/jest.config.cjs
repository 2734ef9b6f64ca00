/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'workspace',
  // Linting a probe file loads ESLint and the TypeScript parser: slower than a unit test.
  testTimeout: 60_000,
};
