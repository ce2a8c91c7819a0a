#!/usr/bin/env bash
# Builds winograd.wasm from winograd.c with Debian's clang and lld (apt-get install clang lld):
# wasm32, simd128, bulk memory (clang turns zeroing loops into memory.fill), no libc.
# The memory is imported (env.memory) so the module can work on another module's heap.
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang}
"$CLANG" --target=wasm32 -O3 -msimd128 -mbulk-memory -mmutable-globals -nostdlib -ffreestanding \
  -Wl,--no-entry -Wl,--import-memory -Wl,--export=conv_f2 -Wl,--export=conv_f4 \
  -Wl,--export=filter_f2 -Wl,--export=filter_f4 -Wl,--export=__stack_pointer -Wl,--strip-all \
  -o winograd.wasm winograd.c
