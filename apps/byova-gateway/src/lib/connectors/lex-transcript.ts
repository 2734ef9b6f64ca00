// The Lex session transcript: one line per turn ("caller: …", "bot: …"), sent to WxCC with the
// terminal reply and kept in the session snapshot (the conversation table's item). DTMF entries
// are never written (a PIN or card number is sensitive): the line is `caller: [DTMF]`, and the
// bot's answer to the entry has its echo of the entered digits masked too. The lines are kept
// within a byte budget: the oldest go first, and the text then starts with a marker line.

/** What a DTMF entry becomes in the transcript, and its digits in the bot's answer to it. */
export const DTMF_MASK = '[DTMF]';

/** What a DTMF entry becomes in the transcript, whatever was pressed. */
export const DTMF_TRANSCRIPT_LINE = `caller: ${DTMF_MASK}`;

/** Separators allowed between echoed digits: up to two spaces, commas, periods or hyphens. */
const ECHO_SEPARATOR = '[\\s,.-]{0,2}';

/**
 * `text` (the bot's answer to a DTMF entry) with every echo of the entry's digits replaced by
 * `[DTMF]`: the entry's digits 0-9 (its other keys ignored) in order, consecutive digits either
 * adjacent or separated by up to two spaces, commas, periods or hyphens ("4711", "4 7 1 1",
 * "4-7-1-1", "4, 7, 1, 1"), not preceded or followed by another digit. An entry without digits
 * masks nothing; digits spelt out as words are not recognised.
 */
export function maskDtmfEcho(text: string, keys: string): string {
  const digits = keys.replace(/[^0-9]/g, '');
  if (digits === '') return text;
  const echo = new RegExp(`(?<![0-9])${[...digits].join(ECHO_SEPARATOR)}(?![0-9])`, 'g');
  return text.replace(echo, DTMF_MASK);
}

/** First line of a transcript whose oldest lines were dropped to stay within the budget. */
export const TRANSCRIPT_TRUNCATED_LINE = '[earlier turns truncated]';

/** Default budget of the transcript, in UTF-8 bytes (the DynamoDB item limit is 400 KB). */
export const DEFAULT_TRANSCRIPT_MAX_BYTES = 64 * 1024;

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Room for the marker and its newline once anything has been dropped. */
const MARKER_BYTES = utf8Bytes(TRANSCRIPT_TRUNCATED_LINE) + 1;

/** `text` cut to at most `maxBytes` UTF-8 bytes, never inside a character, ending in '…'. */
function cutToBytes(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const ellipsis = '…';
  let out = '';
  let used = utf8Bytes(ellipsis);
  for (const char of text) {
    const size = utf8Bytes(char);
    if (used + size > maxBytes) break;
    out += char;
    used += size;
  }
  return `${out}${ellipsis}`;
}

export class LexTranscript {
  readonly #maxBytes: number;
  readonly #lines: string[] = [];
  /** Bytes of the lines joined with '\n' (without the marker). */
  #bytes = 0;
  #truncated = false;

  /** @param maxBytes budget of {@link text} in UTF-8 bytes, marker included. */
  constructor(maxBytes: number = DEFAULT_TRANSCRIPT_MAX_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Whether older lines were dropped. */
  get truncated(): boolean {
    return this.#truncated;
  }

  /** The kept lines, oldest first (without the marker). */
  lines(): string[] {
    return [...this.#lines];
  }

  /** Appends a line, dropping the oldest lines while the text would exceed the budget. */
  push(line: string): void {
    // A line longer than the budget on its own is cut (it ends in '…').
    const kept = cutToBytes(line, this.#maxBytes - MARKER_BYTES);
    this.#lines.push(kept);
    this.#bytes += utf8Bytes(kept) + (this.#lines.length > 1 ? 1 : 0);
    while (
      this.#bytes + (this.#truncated ? MARKER_BYTES : 0) > this.#maxBytes &&
      this.#lines.length > 1
    ) {
      const dropped = this.#lines.shift() as string;
      this.#bytes -= utf8Bytes(dropped) + 1;
      this.#truncated = true;
    }
  }

  /** The transcript as sent to WxCC: the lines joined by '\n', after the marker when truncated. */
  text(): string {
    const body = this.#lines.join('\n');
    return this.#truncated ? `${TRANSCRIPT_TRUNCATED_LINE}\n${body}` : body;
  }

  /** Restores lines of a snapshot (within this budget, whatever budget wrote them). */
  restore(lines: readonly unknown[], truncated: boolean): void {
    for (const line of lines) if (typeof line === 'string') this.push(line);
    if (truncated) this.#truncated = true;
  }
}
