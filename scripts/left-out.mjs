// `npm test` ends with what it left out, so a suite it did not run never looks passed.
console.log(
  'npm test left out: the browser suites, the core bundle and the web demo page (need Debian chromium: npm run test:browser) and parity on fresh PyTorch fixtures ' +
    '(needs python3-torch: npm run test:parity-fresh); .ci/run installs both and runs them.',
);
