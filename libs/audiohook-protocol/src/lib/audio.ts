// The one door to @org/audio. The publishable build (scripts/build.mjs) bundles @org/audio into
// the package, so the dependency on a non-buildable workspace library is deliberate; the
// boundary rule's tag checks still apply everywhere else in this library.

// eslint-disable-next-line @nx/enforce-module-boundaries -- bundled into the published package
export {
  ChannelView,
  HOST_BYTE_ORDER,
  ToneGenerator,
  decodeUlaw,
  encodeUlaw,
  int16ToL16,
  l16ToInt16,
  parseWav,
  type ByteOrder,
  type SampleArray,
  type WavFile,
} from '@org/audio';
