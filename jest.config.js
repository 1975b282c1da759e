/** Tests run in one process against one Temporal dev server and one PostgreSQL (see test/global-setup.ts). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/test/**/*.test.ts', '**/activities/**/*.test.ts', '**/postgres/**/*.test.ts', '**/artifacts/**/*.test.ts', '**/approvals/**/*.test.ts', '**/workflows/**/*.test.ts', '**/store/**/*.test.ts', '**/stack/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.schemawright/'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  setupFiles: ['<rootDir>/test/support/quiet-runtime.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 120_000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
