// `@org/audiohook-protocol/node`: the parts that need Node.js (the file system).
// Every export is listed by name.

export { loadWavMediaSource } from './lib/node/wav-file-source';
