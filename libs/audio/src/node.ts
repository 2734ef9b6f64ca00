// `@org/audio/node`: the Node.js-only parts of @org/audio: WAV files on disk and the optional
// native G.711 kernels. Every export is listed by name.

export { FileWavSink, openWavFile } from './lib/node/wav-file';
export { enableNativeG711 } from './lib/node/native';
