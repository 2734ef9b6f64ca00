// `@org/audiohook-protocol`: everything but the test doubles, for compatibility. Node.js only (it
// includes `./node`); the pure parts are also entry points of their own: `./codec`, `./session`,
// `./signature` (and `./node`, `./testing`); this entry re-exports all but `./testing`.

export * from './codec';
export * from './session';
export * from './signature';
export * from './node';
