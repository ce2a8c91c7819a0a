import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config';

// The browser-bundle suite alone: it needs Debian's chromium (or CHROMIUM_PATH).
export default mergeConfig(base, defineConfig({ test: { include: ['test/packaging/browser.test.ts'], exclude: [] } }));
