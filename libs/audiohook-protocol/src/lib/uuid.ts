// Random (version 4) UUIDs from the runtime's secure generator, in Node.js and in browsers (where
// `crypto.randomUUID` exists only in secure contexts, `getRandomValues` everywhere).

interface WebCrypto {
  getRandomValues(array: Uint8Array): Uint8Array;
  randomUUID?(): string;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A random version-4 UUID, lower-case. @internal */
export function randomUuid(): string {
  const webCrypto = (globalThis as unknown as { crypto: WebCrypto }).crypto;
  if (typeof webCrypto.randomUUID === 'function') return webCrypto.randomUUID();
  const bytes = webCrypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => HEX[b] as string).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
