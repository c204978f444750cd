/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  // The package imports itself by name (package.json "exports", tsconfig "paths"): 'sluice' is the engine.
  moduleNameMapper: {
    '^sluice$': '<rootDir>/src/engine/index.ts',
    '^sluice/runtime$': '<rootDir>/src/engine/runtime/index.ts',
    '^sluice/runtime/local-aws$': '<rootDir>/src/engine/runtime/local-aws.ts',
    '^sluice/testing$': '<rootDir>/src/engine/testing.ts',
    '^sluice/src/engine$': '<rootDir>/src/engine/index.ts',
  },
  testTimeout: 30000,
};
