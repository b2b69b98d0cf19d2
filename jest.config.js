// Native ESM: @middy/*, fauxqs and ml-kmeans ship only ESM, so jest runs with
// --experimental-vm-modules (set in package.json) and ts-jest emits ESM.
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@patron/core$': '<rootDir>/layers/core/src/index.ts',
    // Our TS sources import './x.js'; map to the .ts file, but leave packages' own
    // '.json.js' modules (libphonenumber-js metadata) alone.
    '^(\\.{1,2}/(?!.*\\.json\\.js$).*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true }],
  },
  testEnvironment: 'node',
};

export default {
  // After 'default' (see the file): keeps the local runtime's expected invoke errors in
  // .cache/test-logs/ and names that file when a test fails.
  reporters: ['default', '<rootDir>/test/helpers/runtime-log-reporter.mjs'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // It pauses DynamoDB Local, which would fail every suite running beside it: see `fault` below.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/fault\\.test\\.ts$'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
    { ...shared, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    // Fault injection (SIGSTOP of DynamoDB Local) needs a stack of its own and no other suite
    // beside it. jest runs the projects of one invocation side by side, so `fault` exists only in
    // its own invocation: `npm run test:fault` (PATRON_FAULT_TESTS=1 jest --selectProjects fault).
    ...(process.env.PATRON_FAULT_TESTS === '1'
      ? [
          {
            ...shared,
            displayName: 'fault',
            testMatch: ['<rootDir>/test/integration/fault.test.ts'],
            globalSetup: '<rootDir>/test/helpers/global-setup.ts',
            globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
          },
        ]
      : []),
    // Doc tests (test/helpers/doctest.ts) and `patron send-webhook` over every sample: they send
    // the documented requests and the samples as they are, with fixed identities and event ids,
    // so they get a fresh stack of their own in their own invocation (one stack per process):
    // `npm run test:docs` (PATRON_DOCS_TESTS=1 jest --selectProjects docs).
    ...(process.env.PATRON_DOCS_TESTS === '1'
      ? [
          {
            ...shared,
            displayName: 'docs',
            testMatch: ['<rootDir>/test/docs/**/*.test.ts'],
            globalSetup: '<rootDir>/test/helpers/global-setup.ts',
            globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
          },
        ]
      : []),
    // The web console (console/src) in a real browser (Debian's chromium through playwright-core)
    // against a stack of its own seeded with the demo (test/helpers/browser-setup.ts): a few
    // minutes of CPU, so in its own invocation: `npm run test:browser` (PATRON_BROWSER_TESTS=1
    // jest --selectProjects browser). Without chromium it fails with the reason, never skips.
    ...(process.env.PATRON_BROWSER_TESTS === '1'
      ? [
          {
            ...shared,
            displayName: 'browser',
            testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
            globalSetup: '<rootDir>/test/helpers/browser-setup.ts',
            globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
          },
        ]
      : []),
  ],
};
