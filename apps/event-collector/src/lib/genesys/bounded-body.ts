/**
 * Most bytes of a Genesys REST answer the collector reads. The largest real answers (a history
 * page of 200 events, the definitions listing) are a few hundred KiB; a bigger body is a broken
 * or hostile server, and reading it whole would grow memory without bound.
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * Reads a response body as UTF-8, at most `maxBytes` of it. Returns `undefined` (having
 * cancelled the rest of the body) when it is longer, so nothing past the cap is ever buffered.
 * With `truncate`, returns the first `maxBytes` instead (for quoting an error body).
 *
 * @example
 * ```ts
 * const text = await readBoundedText(res, MAX_RESPONSE_BYTES);
 * if (text === undefined) throw new Error('answer too large');
 * ```
 */
export async function readBoundedText(
  res: Response,
  maxBytes: number,
  truncate = false,
): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length') ?? '');
  if (!truncate && Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.byteLength > maxBytes) {
      await reader.cancel().catch(() => undefined);
      if (!truncate) return undefined;
      chunks.push(value.subarray(0, maxBytes - total));
      break;
    }
    chunks.push(value);
    total += value.byteLength;
  }
  return Buffer.concat(chunks).toString('utf8');
}
