// `npm test` ends with what it left out, so a suite it did not run never looks passed.

console.log(
  'npm test left out: the browser suites, the core bundle and the web demo page (need Debian chromium: npm run test:browser) and parity on fresh PyTorch fixtures ' +
    '(needs python3-torch: npm run test:parity-fresh); .ci/run installs both and runs them.',
);

// The real third-party captcha libraries (packages/data/src/thirdParty.test.ts skips their tests without them);
// the data package's own probe, built by `npm test` before this runs.
const { THIRD_PARTY, THIRD_PARTY_GENERATORS, thirdPartyProblem } = await import('../packages/data/dist/index.js');
const missing = THIRD_PARTY_GENERATORS.filter((g) => thirdPartyProblem(g) !== undefined).map(
  (g) => `${g}: ${THIRD_PARTY[g].library} (apt-get install ${THIRD_PARTY[g].packages.join(' ')})`,
);
if (missing.length > 0) console.log(`npm test also left out the third-party generator tests for ${missing.join('; ')}; .ci/run installs them.`);
