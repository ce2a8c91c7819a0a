import { setBackend } from '../src/backend';
// Tests run on the library's default (wasm) unless CAPTCHA_NN_BACKEND says otherwise.
await setBackend();
