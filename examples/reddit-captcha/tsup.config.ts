import { defineConfig } from 'tsup';
import examples from '../tsup.examples';

// The shared example build, plus the captcha-nn-reddit command.
export default defineConfig({ ...examples, entry: ['src/index.ts', 'src/bin.ts'] });
