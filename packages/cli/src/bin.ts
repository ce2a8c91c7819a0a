#!/usr/bin/env node
import { allowRelaxedSimdInNode } from '@captcha-nn/core';
import { main } from './program';

// Before any kernel compiles: Node 20 has WebAssembly relaxed SIMD behind a flag, and our kernels' multiply-add
// build is a 1.13× faster training step (docs/backends.md, "Relaxed SIMD"; CAPTCHA_NN_WASM_SIMD=plain keeps it off).
allowRelaxedSimdInNode();
void main();
