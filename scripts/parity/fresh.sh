#!/usr/bin/env bash
# The parity suites on freshly generated PyTorch fixtures (a random seed, or $1).
# Needs Debian's python3-torch (/usr/bin/python3); .ci/run installs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "test:parity-fresh needs PyTorch for /usr/bin/python3: apt-get install python3-torch" >&2
  exit 1
fi
seed=${1:-$(( (RANDOM << 15 | RANDOM) % 1000000 + 2 ))}
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
echo "parity: fresh fixtures with --seed $seed"
/usr/bin/python3 scripts/parity/make_fixtures.py --seed "$seed" --out "$fresh/nn"
/usr/bin/python3 scripts/parity/make_rnn_fixtures.py --seed "$seed" --out "$fresh/rnn"
/usr/bin/python3 scripts/parity/make_attention_fixtures.py --seed "$seed" --out "$fresh/attention"
/usr/bin/python3 scripts/parity/make_ctc_fixtures.py --seed "$seed" --out "$fresh/ctc"
cd packages/core
CAPTCHA_NN_PARITY_DIR="$fresh/nn" CAPTCHA_NN_PARITY_RNN_DIR="$fresh/rnn" CAPTCHA_NN_PARITY_ATTENTION_DIR="$fresh/attention" CAPTCHA_NN_PARITY_CTC_DIR="$fresh/ctc" \
  npx vitest run test/parity test/parity-rnn test/parity-attention test/parity-ctc
