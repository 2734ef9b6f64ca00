import { ManualClock } from './helpers/manual-clock';
import { StreamingTranscriber, type TimedTranscript } from '../src';
import { HelloEngine } from '../examples/hello-engine';
import { stereoFrame } from './helpers/scripted-engine';

describe('the README engine', () => {
  it('recognises "hello" every second through the transcriber', async () => {
    const transcriber = new StreamingTranscriber({
      engine: new HelloEngine(),
      channels: 2,
      clock: new ManualClock(),
    });
    const transcripts: TimedTranscript[] = [];
    transcriber.on('transcript', (t) => transcripts.push(t));
    transcriber.start('en-US');
    for (let i = 0; i < 10; i++) transcriber.write(stereoFrame(1, 2), i * 200e6, 200e6);
    await transcriber.close();
    expect(transcripts.map((t) => [t.offsetNs, t.alternatives[0]?.transcript])).toEqual([
      [0, 'hello'],
      [1e9, 'hello'],
    ]);
  });

  it('fails the transcription for a language it does not have', async () => {
    const transcriber = new StreamingTranscriber({ engine: new HelloEngine(), channels: 2 });
    const failed = new Promise((resolve) => transcriber.on('failed', resolve));
    transcriber.start('fr-FR');
    await expect(failed).resolves.toMatchObject({ code: 'SPEECH_ERR_UNSUPPORTED_LANGUAGE' });
    expect(transcriber.state).toBe('failed');
  });
});
