// Public API of @org/audio: pure (no file system, no native addon; runs in browsers too). The
// Node.js-only parts are in `./node` (`@org/audio/node`). Every export is listed by name.

export { AudioError, AudioErrorCode, type AudioErrorOptions } from './lib/errors';
export {
  ALAW_SILENCE,
  ULAW_SILENCE,
  alawToLinear,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  g711Acceleration,
  linearToAlaw,
  setG711Acceleration,
  type G711Acceleration,
  type NativeG711,
  linearToUlaw,
  ulawToLinear,
} from './lib/g711';
export { HOST_BYTE_ORDER, int16ToL16, l16ToInt16, type ByteOrder } from './lib/l16';
export {
  WAV_HEADER_BYTES,
  WAV_MAX_CHUNKS,
  WAV_MAX_DATA_BYTES,
  assertWavFormat,
  encodeWav,
  encodeWavHeader,
  parseWav,
  wavBlockAlign,
  type ParseWavOptions,
  type WavChunkInfo,
  type WavEncoding,
  type WavFile,
  type WavFormat,
} from './lib/wav';
export {
  MemoryWavSink,
  WavWriter,
  type WavSink,
  type WavSummary,
  type WavWriterOptions,
  type WavWriterState,
} from './lib/wav-writer';
export {
  ChannelView,
  deinterleave,
  interleave,
  mixToMono,
  stereoToMono,
  type SampleArray,
} from './lib/channels';
export {
  RESAMPLER_MAX_OUTPUT_SAMPLES,
  Resampler,
  designLowPass,
  resample,
  type ResamplerOptions,
} from './lib/resampler';
export {
  ToneGenerator,
  alawSilence,
  silence,
  tone,
  ulawSilence,
  type ToneOptions,
} from './lib/generators';
export {
  CONVERT_MAX_CHANNELS,
  CONVERT_MAX_SAMPLE_RATE,
  CONVERT_MIN_SAMPLE_RATE,
  decodeWavSamples,
  toTelephonyUlaw,
} from './lib/convert';
export { fromDbfs, peak, peakDbfs, rms, rmsDbfs, toDbfs, toneAmplitude } from './lib/levels';
export {
  EnergyVad,
  VAD_DEFAULT_MAX_UTTERANCE_MS,
  VAD_MAX_DURATION_MS,
  VAD_MAX_PRE_ROLL_MS,
  VAD_MAX_WINDOW_MS,
  type EnergyVadOptions,
  type SpeechCriterion,
  type VadEnd,
  type VadEvent,
  type VadStart,
} from './lib/vad';
