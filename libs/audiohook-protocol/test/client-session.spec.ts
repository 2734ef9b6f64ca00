import {
  AudioHookError,
  AudioHookErrorCode,
  NIL_UUID,
  iterableMediaSource,
  toneMediaSource,
  type MediaParameter,
} from '../src';
import { MONO, ORG_ID, SESSION_ID, STEREO, settle } from './helpers';
import { type RawServer, open, recordingLogger, setup } from './client-setup';

describe('ClientSession', () => {
  describe('open', () => {
    it('sends open with the offered media and the configured parameters', async () => {
      const { client, server } = setup({
        media: toneMediaSource(),
        language: 'en-US',
        supportedLanguages: true,
        customConfig: { vendor: 'x' },
        inputVariables: { intent: 'billing' },
        continuedSessions: [{ id: SESSION_ID, serverseq: 1, clientseq: 2 }],
        conversationId: '90b0e395-84d3-4570-ac13-9a62d8f514c0',
      });
      void client.start();
      await settle();
      expect(server.last()).toMatchObject({
        type: 'open',
        seq: 1,
        serverseq: 0,
        position: 'PT0S',
        parameters: {
          organizationId: ORG_ID,
          conversationId: '90b0e395-84d3-4570-ac13-9a62d8f514c0',
          participant: { ani: '+1-555-555-1234', aniName: 'John Doe', dnis: '+1-800-555-6789' },
          media: [STEREO, MONO, { ...MONO, channels: ['internal'] }],
          language: 'en-US',
          supportedLanguages: true,
          customConfig: { vendor: 'x' },
          inputVariables: { intent: 'billing' },
          continuedSessions: [{ id: SESSION_ID, serverseq: 1, clientseq: 2 }],
        },
      });
      expect(client.state).toBe('OPENING');
      expect(() => client.start()).toThrow(AudioHookError);
    });

    it('resolves start() with opened and moves to OPEN', async () => {
      const { client, opened } = await open({ media: toneMediaSource({ realtime: true }) });
      expect(opened?.parameters.media).toEqual([STEREO]);
      expect(client.state).toBe('OPEN');
      expect(client.selectedMedia).toEqual(STEREO);
      client.close();
    });

    it('gives up with error 408 when opened does not come within the open timeout', async () => {
      const { client, server, clock } = setup({ openTimeoutMs: 5000 });
      const opened = client.start();
      await clock.advance(5000);
      expect(await opened).toBeUndefined();
      expect(server.errors()).toEqual([{ code: 408, message: 'Open transaction timeout' }]);
      expect(server.last()).toMatchObject({ type: 'close', parameters: { reason: 'error' } });
    });

    it.each([
      ['more than one media', [STEREO, MONO], 400, 'More than one media selected'],
      [
        'media that was not offered',
        [{ ...MONO, channels: ['internal'] }],
        400,
        'Selected media not one of the offered',
      ],
    ])('rejects opened with %s', async (_name, media, code, message) => {
      const { server, client } = await open(
        { media: iterableMediaSource([], STEREO as unknown as MediaParameter) },
        media,
      );
      expect(server.errors()).toEqual([{ code, message }]);
      expect(client.state).toBe('CLOSING');
    });

    it('runs a connection probe: nil ids, then close right after opened', async () => {
      const { server, client } = await open({ probe: true, media: toneMediaSource() });
      const openMessage = server.received[0];
      expect(openMessage?.['parameters']).toMatchObject({
        conversationId: NIL_UUID,
        participant: { id: NIL_UUID, ani: '', aniName: '', dnis: '' },
      });
      expect(server.types()).toEqual(['open', 'close']);
      expect(server.last()).toMatchObject({ position: 'PT0S', parameters: { reason: 'end' } });
      server.send('closed');
      const result = await client.finished;
      expect(result).toMatchObject({ clean: true, closeReason: 'end', audioBytes: 0 });
    });
  });

  describe('server message checks', () => {
    const cases: [string, (s: RawServer) => void, number, RegExp][] = [
      ['a second opened', (s) => s.send('opened', { media: [] }), 409, /Unexpected 'opened'/],
      ['closed outside a close transaction', (s) => s.send('closed'), 409, /Unexpected 'closed'/],
      ['a pong without a ping', (s) => s.send('pong'), 409, /no ping outstanding/],
      ['text that is not JSON', (s) => s.transport.sendText('nope'), 400, /not valid JSON/],
      [
        'a malformed envelope',
        (s) => s.transport.sendText('{"version":"2"}'),
        400,
        /well-formed server message/,
      ],
      ['bad parameters', (s) => s.send('disconnect', {}), 400, /parameters/],
      [
        'another session id',
        (s) => s.send('pause', {}, { id: '11111111-1111-4111-8111-111111111111' }),
        400,
        /Session identifier mismatch/,
      ],
      [
        'a clientseq ahead of the client',
        (s) => s.send('pause', {}, { clientseq: 99 }),
        400,
        /clientseq/,
      ],
      ['a seq gap', (s) => s.send('pause', {}, { seq: 7 }), 500, /Invalid seq/],
      [
        'an unknown message type',
        (s) => s.send('shout'),
        500,
        /Unsupported server message type 'shout'/,
      ],
      ['a message over 64K', (s) => s.transport.sendText(' '.repeat(70_000)), 413, /too large/],
      [
        'binary audio from the server',
        (s) => s.transport.sendBinary(new Uint8Array(160)),
        415,
        /Unexpected binary message/,
      ],
      [
        'an invalid transcript',
        (s) => s.send('event', { entities: [{ type: 'transcript', data: { id: 1 } }] }),
        400,
        /transcript/,
      ],
    ];

    it.each(cases)(
      'answers %s with an error message and close(error)',
      async (_name, act, code, message) => {
        const { server, client } = await open({ pingIntervalMs: 0 });
        const seen: number[] = [];
        client.on('protocolError', (_e, c) => seen.push(c));
        act(server);
        await settle();
        const errors = server.errors() as { code: number; message: string }[];
        expect(errors).toHaveLength(1);
        expect(errors[0]?.code).toBe(code);
        expect(errors[0]?.message).toMatch(message);
        expect(server.last()).toMatchObject({ type: 'close', parameters: { reason: 'error' } });
        expect(seen).toEqual([code]);
        server.transport.close();
        const result = await client.finished;
        expect(result.error?.code).toBe(code);
      },
    );

    it('truncates server-controlled text quoted in its error message', async () => {
      const { server } = await open({ pingIntervalMs: 0 });
      server.send('y'.repeat(60_000));
      await settle();
      const [error] = server.errors() as { code: number; message: string }[];
      expect(error?.code).toBe(500);
      expect(error?.message).toHaveLength(512);
      expect(error?.message.endsWith('...')).toBe(true);
    });

    it('counts violations after the close started instead of logging each', async () => {
      const { logger, lines } = recordingLogger();
      const { server, client } = await open({ pingIntervalMs: 0, logger });
      const seen: number[] = [];
      client.on('protocolError', (_e, code) => seen.push(code));
      server.transport.sendBinary(new Uint8Array(1)); // the first: error 415 and close(error)
      for (let i = 0; i < 1000; i++) {
        server.transport.sendBinary(new Uint8Array(1));
        server.transport.sendText('x');
      }
      await settle();
      expect(server.errors()).toHaveLength(1);
      expect(server.types()).toEqual(['open', 'error', 'close']);
      expect(seen).toHaveLength(21);
      const warnings = lines.filter((l) => l.level === 'warn');
      expect(warnings).toHaveLength(22);
      expect(warnings.at(-1)?.message).toBe(
        'further server protocol errors are counted, not logged',
      );
      server.transport.close();
      await client.finished;
      expect(lines.find((l) => l.message === 'server protocol errors not logged')?.fields).toEqual({
        sessionId: SESSION_ID,
        notLogged: 1980,
        total: 2000,
      });
      expect(lines.length).toBeLessThan(30);
    });

    it('answers pause/resume/event before opened with 409', async () => {
      for (const type of ['pause', 'resume', 'event']) {
        const { client, server } = setup();
        void client.start();
        await settle();
        server.send(type, type === 'event' ? { entities: [{ type: 'x', data: 1 }] } : {});
        await settle();
        expect(server.errors()).toEqual([
          { code: 409, message: `Unexpected '${type}' in state OPENING` },
        ]);
      }
    });
  });

  describe('ping', () => {
    it('pings 1 s after opened, again at once after the first pong, then every 5 s', async () => {
      const { server, client, clock } = await open({}, []);
      await clock.advance(999);
      expect(server.types()).toEqual(['open']);
      await clock.advance(1);
      expect(server.last()).toMatchObject({ type: 'ping', seq: 2, parameters: {} });
      await clock.advance(12);
      server.send('pong', {}, { clientseq: 2 });
      await settle();
      expect(server.last()).toMatchObject({
        type: 'ping',
        seq: 3,
        parameters: { rtt: 'PT0.012S' },
      });
      server.send('pong', {}, { clientseq: 3 });
      await clock.advance(5000);
      expect(server.types()).toEqual(['open', 'ping', 'ping', 'ping']);
      server.send('pong', {}, { clientseq: 4 });
      await settle();
      expect(client.state).toBe('OPEN');
      client.close();
      server.send('closed');
      const result = await client.finished;
      expect(result.rtts).toEqual([12_000_000, 0, 12_000_000]);
    });

    it('fails with 408 when the pong is late and 400 when its clientseq is wrong', async () => {
      const late = await open({}, []);
      await late.clock.advance(6000);
      expect(late.server.errors()).toEqual([{ code: 408, message: 'Timeout waiting for pong' }]);
      const wrong = await open({}, []);
      await wrong.clock.advance(1000);
      wrong.server.send('pong', {}, { clientseq: 1 });
      await settle();
      expect(wrong.server.errors()).toEqual([
        { code: 400, message: 'pong clientseq 1 does not match ping seq 2' },
      ]);
    });
  });

  describe('close', () => {
    it('closes the socket when closed arrives', async () => {
      const { server, client, clientSide } = await open({}, []);
      expect(client.close('end')).toBe(true);
      expect(client.close('end')).toBe(false);
      await settle();
      server.send('closed', { outputVariables: { a: 'b' } });
      const result = await client.finished;
      expect(result).toMatchObject({
        clean: true,
        closed: { outputVariables: { a: 'b' } },
        closeReason: 'end',
      });
      expect(clientSide.closeInfo).toEqual({ code: 1005, reason: '' });
    });

    it('drops the connection with error 408 when closed does not come', async () => {
      const { server, client, clock } = await open({ closeTimeoutMs: 10_000 }, []);
      client.close();
      await clock.advance(10_000);
      expect(server.errors()).toEqual([{ code: 408, message: 'Close transaction timeout' }]);
      expect((await client.finished).clean).toBe(false);
    });

    it('reports the close timeout as AUDIOHOOK_ERR_TIMEOUT in protocolError and result.error', async () => {
      const { server, client, clock } = await open({ closeTimeoutMs: 10_000, pingIntervalMs: 0 });
      const seen: [string, number][] = [];
      client.on('protocolError', (error, code) => seen.push([error.code, code]));
      client.close();
      await clock.advance(10_000);
      expect(server.errors()).toEqual([{ code: 408, message: 'Close transaction timeout' }]);
      expect(seen).toEqual([[AudioHookErrorCode.Timeout, 408]]);
      const result = await client.finished;
      expect(result).toMatchObject({
        clean: false,
        closeReason: 'end',
        error: { code: 408, message: 'Close transaction timeout' },
      });
    });

    it('answers disconnect with close(disconnect)', async () => {
      const { server, client } = await open({}, []);
      server.send('disconnect', {
        reason: 'completed',
        info: 'bot done',
        outputVariables: { action: 'transfer' },
      });
      await settle();
      expect(server.last()).toMatchObject({ type: 'close', parameters: { reason: 'disconnect' } });
      server.send('closed');
      expect((await client.finished).disconnect).toEqual({
        reason: 'completed',
        info: 'bot done',
        outputVariables: { action: 'transfer' },
      });
    });

    it('reports a dropped connection as unclean', async () => {
      const { serverSide, client } = await open({}, []);
      serverSide.drop();
      expect((await client.finished).clean).toBe(false);
      expect(client.state).toBe('DISCONNECTED');
    });
  });
});
