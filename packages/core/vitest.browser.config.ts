import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// The browser-bundle suite alone: it needs Debian's chromium (or CHROMIUM_PATH). Not mergeConfig,
// which would concatenate the include and exclude lists of the default run, nor its projects.
const { projects: _, ...shared } = base.test ?? {};
export default defineConfig({ ...base, test: { ...shared, include: ['test/packaging/browser.test.ts'], exclude: ['**/node_modules/**'] } });
