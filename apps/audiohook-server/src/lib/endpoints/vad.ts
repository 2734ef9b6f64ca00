// Energy voice-activity detection on μ-law bytes, as the reference's Transcription Connector
// simulator does it (spec §17.6), minus its quirk: every 100 ms block is examined, not only the
// first half of each frame.

/** A detected stretch of speech, in samples from the detector's start. */
export interface VadSegment {
  readonly startSample: number;
  readonly endSample: number;
}

export interface EnergyVadOptions {
  /** Samples per analysis block. @default 800 (100 ms at 8 kHz) */
  readonly blockSamples?: number;
  /** A block is voice when min(byte & 0x7F) is below this... @default 80 */
  readonly minThreshold?: number;
  /** ...and mean(byte & 0x7F) is below this. @default 110 */
  readonly meanThreshold?: number;
  /** Consecutive voice blocks that start speech. @default 2 */
  readonly startBlocks?: number;
  /** Consecutive silent blocks that end it. @default 4 */
  readonly endBlocks?: number;
}

/**
 * One channel's detector. Feed μ-law bytes of that channel; get back the segments that ended.
 *
 * @example
 * ```ts
 * const vad = new EnergyVad();
 * for (const segment of vad.push(channelBytes)) console.log(segment);
 * vad.flush();
 * ```
 */
export class EnergyVad {
  readonly #block: number;
  readonly #min: number;
  readonly #mean: number;
  readonly #startBlocks: number;
  readonly #endBlocks: number;
  readonly #buffer: Uint8Array;
  #filled = 0;
  #blocks = 0;
  #voiceRun = 0;
  #silenceRun = 0;
  #speechStart: number | undefined;

  constructor(options: EnergyVadOptions = {}) {
    this.#block = options.blockSamples ?? 800;
    this.#min = options.minThreshold ?? 80;
    this.#mean = options.meanThreshold ?? 110;
    this.#startBlocks = options.startBlocks ?? 2;
    this.#endBlocks = options.endBlocks ?? 4;
    this.#buffer = new Uint8Array(this.#block);
  }

  /** Samples examined so far (whole blocks). */
  get position(): number {
    return this.#blocks * this.#block;
  }

  /** True while inside a speech segment. */
  get speaking(): boolean {
    return this.#speechStart !== undefined;
  }

  push(ulaw: Uint8Array): VadSegment[] {
    const out: VadSegment[] = [];
    let offset = 0;
    while (offset < ulaw.length) {
      const take = Math.min(this.#block - this.#filled, ulaw.length - offset);
      this.#buffer.set(ulaw.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled === this.#block) {
        this.#filled = 0;
        const segment = this.#examine();
        if (segment !== undefined) out.push(segment);
      }
    }
    return out;
  }

  /** Ends an open segment at the current position (end of stream, pause, language change). */
  flush(): VadSegment[] {
    const start = this.#speechStart;
    this.#speechStart = undefined;
    this.#voiceRun = 0;
    this.#silenceRun = 0;
    const end = this.position;
    return start !== undefined && end > start ? [{ startSample: start, endSample: end }] : [];
  }

  #examine(): VadSegment | undefined {
    let min = 127;
    let sum = 0;
    for (let i = 0; i < this.#block; i++) {
      const energy = (this.#buffer[i] as number) & 0x7f;
      if (energy < min) min = energy;
      sum += energy;
    }
    this.#blocks++;
    const now = this.#blocks * this.#block;
    if (min < this.#min && sum / this.#block < this.#mean) {
      this.#voiceRun++;
      this.#silenceRun = 0;
      if (this.#speechStart === undefined && this.#voiceRun >= this.#startBlocks) {
        this.#speechStart = now - this.#startBlocks * this.#block;
      }
      return undefined;
    }
    this.#silenceRun++;
    this.#voiceRun = 0;
    if (this.#speechStart !== undefined && this.#silenceRun >= this.#endBlocks) {
      const segment = {
        startSample: this.#speechStart,
        endSample: now - this.#endBlocks * this.#block,
      };
      this.#speechStart = undefined;
      return segment;
    }
    return undefined;
  }
}
