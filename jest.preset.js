// Shared Jest settings for every project. Each project's `jest.config.cjs` spreads this preset and
// adds its own `displayName` and `coverageDirectory`.

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Resolves `@org/*` imports through the `paths` of tsconfig.base.json.
  resolver: '@nx/jest/plugins/resolver',
  transform: {
    // SWC strips types without type-checking them, which keeps test start-up fast. Types are
    // checked by each project's `typecheck` target.
    '^.+\\.[cm]?[tj]s$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'mts', 'mjs', 'cts', 'cjs', 'json'],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  // CI has two cores: one Jest worker per project while Nx runs two projects at a time.
  maxWorkers: 1,
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts', '!src/**/*.d.ts'],
  coverageReporters: ['text-summary', 'lcov'],
  errorOnDeprecated: true,
  restoreMocks: true,
};
