// The sizes of every attack in the short mode (npm test, under 2 minutes on 2 cores) and the long
// mode (release). Only sizes differ; every attack and every check runs in both.

export interface Mode {
  readonly name: 'short' | 'long';
  /** How long RSS and open handles may take to come back within bounds after an attack. */
  readonly settleMs: number;
  readonly audiohook: {
    /** Upgrades with made-up Signature-Input values (defect 1 of issue 15). */
    readonly badSignatures: number;
    /** Replays of one captured signed upgrade. */
    readonly replays: number;
    readonly malformedSessions: number;
    /** Sockets that send their upgrade request one byte at a time, never finishing. */
    readonly slowloris: number;
    readonly slowlorisMs: number;
    /** Sessions killed mid-stream (socket destroyed without close). */
    readonly killedSessions: number;
    /** 20 ms stereo PCMU frames each streaming session sends. */
    readonly framesPerSession: number;
    readonly pingStorm: number;
    readonly pauseResumeCycles: number;
    /** Sessions streaming when the server gets SIGTERM (defect 2). */
    readonly drainSessions: number;
  };
  readonly byova: {
    readonly garbageStreams: number;
    readonly neverEndingStreams: number;
    readonly neverEndingMs: number;
    readonly droppedStreams: number;
    /** Sizes of the single audio messages sent (bytes). */
    readonly hugeChunkBytes: readonly number[];
    /** Conversations opened and never ended, each recorded (defect 5). */
    readonly conversations: number;
    /** The gateway runs under `ulimit -n` this low, so a handle per conversation shows early. */
    readonly maxOpenFiles: number;
  };
  readonly collector: {
    /** Valid events published around the hostile frames. */
    readonly events: number;
    readonly malformedFrames: number;
    readonly duplicates: number;
    readonly tornConnections: number;
    /** kill -9 of the collector while it rotates its files (defect 6). */
    readonly kills: number;
    /** File size in the rotation attack: small, so rotations happen every few events. */
    readonly maxFileSize: number;
  };
  readonly lambdas: {
    /** Each hostile event is sent this many times. */
    readonly repeat: number;
    /** Random streaming events for the Chime recorder. */
    readonly chimeStorm: number;
  };
}

export const SHORT: Mode = {
  name: 'short',
  settleMs: 6000,
  audiohook: {
    badSignatures: 400,
    replays: 20,
    malformedSessions: 12,
    slowloris: 100,
    slowlorisMs: 1500,
    killedSessions: 20,
    framesPerSession: 50,
    pingStorm: 3000,
    pauseResumeCycles: 200,
    drainSessions: 20,
  },
  byova: {
    garbageStreams: 100,
    neverEndingStreams: 40,
    neverEndingMs: 1500,
    droppedStreams: 40,
    hugeChunkBytes: [1 << 20, 8 << 20, 60 << 20],
    conversations: 250,
    maxOpenFiles: 384,
  },
  collector: {
    events: 300,
    malformedFrames: 200,
    duplicates: 100,
    tornConnections: 2,
    kills: 2,
    maxFileSize: 4096,
  },
  lambdas: { repeat: 3, chimeStorm: 25 },
};

export const LONG: Mode = {
  name: 'long',
  settleMs: 20_000,
  audiohook: {
    badSignatures: 3000,
    replays: 200,
    malformedSessions: 100,
    slowloris: 1000,
    slowlorisMs: 10_000,
    killedSessions: 200,
    framesPerSession: 250,
    pingStorm: 20_000,
    pauseResumeCycles: 2000,
    drainSessions: 100,
  },
  byova: {
    garbageStreams: 1000,
    neverEndingStreams: 300,
    neverEndingMs: 10_000,
    droppedStreams: 300,
    hugeChunkBytes: [1 << 20, 8 << 20, 32 << 20, 49 << 20, 60 << 20],
    conversations: 1500,
    maxOpenFiles: 1024,
  },
  collector: {
    events: 5000,
    malformedFrames: 2000,
    duplicates: 1000,
    tornConnections: 10,
    kills: 10,
    maxFileSize: 16_384,
  },
  lambdas: { repeat: 20, chimeStorm: 2000 },
};
