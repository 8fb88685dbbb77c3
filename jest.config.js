// ESM-only packages (got and its dependencies) are transformed by ts-jest, since Jest 30 on Node 20 cannot load ESM itself.
const esmOnly = [
  'got', '@sindresorhus/is', 'byte-counter', 'cacheable-lookup', 'cacheable-request', 'get-stream',
  '@sec-ant/readable-stream', 'is-stream', 'keyv', '@keyv/serialize', 'mimic-response', 'normalize-url',
  'responselike', 'lowercase-keys', 'decompress-response', 'form-data-encoder', 'p-cancelable',
  '@noble/hashes', '@apidevtools/json-schema-ref-parser',
  // @fastify/static's (Swagger UI and Bull Board on Fastify).
  '@fastify/static', 'content-disposition',
];

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  transform: {
    '^.+\\.(t|j)s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper: {
    '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src',
  },
  globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest-global-teardown.ts',
  testTimeout: 60000,
};
