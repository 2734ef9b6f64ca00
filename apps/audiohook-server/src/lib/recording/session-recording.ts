// Recording of one session: the recorder started at `opened` (nothing for probes), audio appended
// with back-pressure on a slow disk (the transport stops reading), and at the end the files
// finished and stored (moved to LOG_ROOT_DIR or uploaded, tracked until done).

import { endianness } from 'node:os';
import type {
  AudioFrame,
  AudioHookTransport,
  MediaParameter,
  ServerSession,
} from '@org/audiohook-protocol';
import type { AppLogger } from '../logging';
import type { ServerMetrics } from '../metrics';
import type { RecordingFormat, SessionRecorder } from './session-recorder';
import type { RecordingSink } from './uploader';

/** Maps negotiated media to the WAV format of the recording. */
export function recordingFormat(media: MediaParameter): RecordingFormat {
  return {
    encoding: media.format === 'PCMU' ? 'ulaw' : 'pcm16',
    sampleRate: media.rate,
    channels: media.channels.length,
  };
}

export interface SessionRecordingParts {
  readonly session: ServerSession;
  readonly recorder: SessionRecorder;
  readonly transport: AudioHookTransport;
  readonly sink: RecordingSink;
  /** Write backlog above which the transport stops reading. */
  readonly maxBufferedBytes: number;
  readonly metrics: ServerMetrics;
  readonly endpoint: string;
  readonly logger: AppLogger;
  /** Tracks work that must finish before the process exits (the store). */
  readonly track: (work: Promise<unknown>) => void;
}

/** The error's message and its causes' (`a: b: c`, at most four), so the line says why. */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && parts.length < 4) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}

function startOnOpen(p: SessionRecordingParts): void {
  p.session.addOpenHandler(async ({ isProbe, selectedMedia }) => {
    if (isProbe) {
      p.recorder.discard();
      return;
    }
    p.recorder.commit();
    if (selectedMedia === undefined) return;
    const started = p.recorder.startAudio(recordingFormat(selectedMedia)).catch((error) => {
      // A full or broken disk must not fail the call itself: stream on without a WAV.
      p.metrics.recordingErrors.inc({ stage: 'start' });
      p.logger.error(
        { err: errorText(error) },
        'recording could not be started; the session continues unrecorded',
      );
    });
    // `opened` waits for the file only when the recorder cannot take audio before it exists.
    if (!p.recorder.acceptsAudio) await started;
  });
}

const HOST_LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The frame's bytes as the WAV stores them: PCMU as received; L16 little-endian, whatever byte
 * order the client sends (`L16_BYTE_ORDER`). The frame's samples are already in the host's
 * order, so on a little-endian host their memory is the answer (the received bytes themselves
 * when they were little-endian).
 */
export function wavBytes(frame: AudioFrame): Uint8Array {
  const samples = frame.interleaved;
  if (samples instanceof Uint8Array) return frame.data;
  if (HOST_LITTLE_ENDIAN) {
    return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  }
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i] as number, true);
  return bytes;
}

function appendWithBackPressure(p: SessionRecordingParts): void {
  let paused = false;
  p.session.on('audio', (frame) => {
    p.metrics.countAudioBytes(p.endpoint, frame.data.length);
    const buffered = p.recorder.appendAudio(wavBytes(frame));
    // Back-pressure: stop reading the socket while the disk is behind, so a slow disk bounds
    // memory per connection instead of growing it.
    if (buffered <= p.maxBufferedBytes || paused) return;
    paused = true;
    p.transport.pause();
    p.logger.debug({ buffered }, 'recording is behind: reading paused');
    void p.recorder.whenDrained(p.maxBufferedBytes / 2).then(() => {
      paused = false;
      p.logger.debug(
        { buffered: p.recorder.bufferedBytes },
        'recording caught up: reading resumed',
      );
      p.transport.resume();
    });
  });
}

function finishAndStore(p: SessionRecordingParts): void {
  p.session.addFiniHandler(async () => {
    try {
      const files = await p.recorder.finish();
      if (files.paths.length === 0) return;
      p.logger.info({ recordingId: files.id, files: files.paths }, 'recording finished');
      const stored = p.sink.store(files).then(
        () => {
          if (p.sink.kind === 's3') p.metrics.uploads.inc({ result: 'ok' });
        },
        (error: unknown) => {
          p.metrics.uploads.inc({ result: 'failed' });
          p.logger.error(
            { recordingId: files.id, err: errorText(error) },
            'recording upload failed; the files stay on disk for the next sweep',
          );
        },
      );
      p.track(stored);
    } catch (error) {
      p.metrics.recordingErrors.inc({ stage: 'finish' });
      p.logger.error({ err: errorText(error) }, 'recording could not be finished');
    }
  });
}

/**
 * Attaches `recorder` to `session`.
 *
 * @example
 * ```ts
 * attachRecording({ session, recorder, transport, sink, maxBufferedBytes, metrics, endpoint,
 *   logger, track });
 * ```
 */
export function attachRecording(parts: SessionRecordingParts): void {
  startOnOpen(parts);
  appendWithBackPressure(parts);
  finishAndStore(parts);
}
