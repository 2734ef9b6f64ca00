/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'byova',
  coverageDirectory: '../../coverage/libs/byova',
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts', '!src/generated/**'],
  coverageThreshold: { global: { lines: 90, branches: 80, functions: 90 } },
};
