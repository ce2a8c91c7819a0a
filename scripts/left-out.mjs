// `npm test` ends with what it left out, so a suite it did not run never looks passed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

console.log(
  'npm test left out: the browser suites, the core bundle and the web demo page (need Debian chromium: npm run test:browser) and parity on fresh PyTorch fixtures ' +
    '(needs python3-torch: npm run test:parity-fresh); .ci/run installs both and runs them.',
);

// The real third-party captcha libraries (packages/data/src/thirdParty.test.ts skips their tests without them).
const runs = (cmd, args) => existsSync(cmd) && spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const missing = [];
if (!runs('/usr/bin/php', ['-r', "exit(is_readable('/usr/share/php/Gregwar/Captcha/autoload.php') ? 0 : 3);"]))
  missing.push('Gregwar/Captcha (apt-get install php-cli php-gregwar-captcha)');
if (!runs('/usr/bin/python3', ['-c', "import django, PIL, importlib.util; assert importlib.util.find_spec('captcha.views')"]))
  missing.push('django-simple-captcha (apt-get install python3-django-captcha)');
if (missing.length > 0) console.log(`npm test also left out the third-party generator tests for ${missing.join(' and ')}; .ci/run installs them.`);
