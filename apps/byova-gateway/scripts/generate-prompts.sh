#!/usr/bin/env bash
# Regenerates the local audio connector's prompt WAVs (u-law, 8 kHz, mono) with espeak-ng and sox.
# Debian: apt-get install -y espeak-ng sox
# Usage: bash apps/byova-gateway/scripts/generate-prompts.sh   (or: npx nx run byova-gateway:prompts)
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/assets/prompts"
mkdir -p "$out"
for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y espeak-ng sox" >&2; exit 1; }
done
declare -A prompts=(
  [welcome]="Hello, welcome to the webex contact center voice virtual agent gateway. How can I help you today?"
  [transferring]="Transferring you to an agent. Please wait."
  [goodbye]="Thank you for calling. Goodbye!"
  [error]="Sorry, something went wrong. Please try again."
  [default_response]="I heard you. Press 5 for an agent or 6 to end the call."
)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for name in "${!prompts[@]}"; do
  espeak-ng -v en-us -s 160 -w "$tmp/$name.wav" "${prompts[$name]}"
  # Telephone band, 8 kHz, G.711 u-law, mono; normalised to -3 dBFS peak.
  sox "$tmp/$name.wav" -r 8000 -c 1 -e u-law -b 8 "$out/$name.wav" norm -3 sinc 300-3400
  echo "wrote $out/$name.wav ($(soxi -D "$out/$name.wav") s)"
done
