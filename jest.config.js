/**
 * ESM-only dependencies (Octokit and the packages it imports), compiled to
 * CommonJS for jest's loader; esbuild bundles them as they are.
 */
const esmOnlyPackages = ["@octokit", "before-after-hook", "universal-user-agent", "universal-github-app-jwt", "content-type"].join("|");

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  transform: {
    "^.+\\.ts$": "ts-jest",
    [`node_modules/(${esmOnlyPackages})/.+\\.js$`]: ["ts-jest", { tsconfig: { allowJs: true, isolatedModules: true } }],
  },
  transformIgnorePatterns: [`node_modules/(?!(${esmOnlyPackages})/)`],
  moduleNameMapper: {
    "^@octokit/webhooks-methods$": "<rootDir>/node_modules/@octokit/webhooks-methods/dist-node/index.js",
  },
  testTimeout: 60000,
  // Jest's default leaves one core idle; the end-to-end file spends most of its time waiting on
  // Terraform's apply, so the other files run beside it on every core.
  maxWorkers: "100%",
};
