import { event, startGateway, testConfig, type RunningGateway } from './helpers/gateway';

const TOKEN = 'dashboard-token-for-tests';

describe('dashboard without authentication', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('serves the dashboard page', async () => {
    const res = await fetch(`${gw.httpUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('<title>BYOVA Gateway</title>');
  });

  it('reports real status, connections and events after a call', async () => {
    await gw.client.rpc([event('dash-1', 'SESSION_START', { customer_org_id: 'org-dash' })]);
    const status = (await (await fetch(`${gw.httpUrl}/api/status`)).json()) as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({
      status: 'running',
      available_agents: ['Local Audio: Local Playback'],
      active_sessions: ['dash-1'],
      total_agents: 1,
      total_sessions: 1,
      total_connectors: 1,
      health: {
        overall_healthy: true,
        grpc_status: 'SERVING',
        serving_services: 4,
        total_services: 4,
      },
    });
    const connections = (await (await fetch(`${gw.httpUrl}/api/connections`)).json()) as {
      active_conversations: Record<string, unknown>[];
      connection_events: Record<string, unknown>[];
    };
    expect(connections.active_conversations[0]).toMatchObject({
      conversation_id: 'dash-1',
      agent_id: 'Local Audio: Local Playback',
      customer_org_id: 'org-dash',
      welcome_sent: true,
      turns: 1,
    });
    expect(connections.connection_events.map((e) => e['event_type'])).toEqual(['start', 'turn']);
    await gw.client.rpc([event('dash-1', 'SESSION_END')]);
    const after = (await (await fetch(`${gw.httpUrl}/api/connections`)).json()) as {
      total_active: number;
      history: Record<string, unknown>[];
    };
    expect(after.total_active).toBe(0);
    expect(after.history[0]).toMatchObject({
      event_type: 'end',
      conversation_id: 'dash-1',
      reason: 'client_session_end',
    });
  });

  it('reports the effective configuration, the limits included', async () => {
    const config = (await (await fetch(`${gw.httpUrl}/api/config`)).json()) as {
      gateway: { grpc_port: number };
    };
    expect(config.gateway.grpc_port).toBe(Number(gw.address.split(':')[1]));
    expect(config).toMatchObject({
      gateway: {
        max_caller_streams: 2000,
        max_conversations: 2000,
        max_health_watchers: 100,
        max_concurrent_streams: 1000,
        max_message_bytes: 50 * 1024 * 1024,
      },
      connectors: [
        {
          name: 'local_audio_connector',
          type: 'local_audio',
          reply_mode: 'wav',
          agents: ['Local Audio: Local Playback'],
        },
      ],
    });
  });

  it('serves /health, the ping, debug sessions and Prometheus metrics', async () => {
    expect(await (await fetch(`${gw.httpUrl}/health`)).json()).toMatchObject({
      status: 'healthy',
      grpc_status: 'SERVING',
    });
    expect(await (await fetch(`${gw.httpUrl}/voiceva/v1/ping`)).json()).toMatchObject({
      serviceType: 'REQUIRED',
      serviceState: 'online',
    });
    await gw.client.rpc([event('dash-2', 'SESSION_START')]);
    const debug = (await (await fetch(`${gw.httpUrl}/api/debug/sessions`)).json()) as {
      sessions: Record<string, unknown>[];
    };
    expect(debug.sessions.find((s) => s['conversation_id'] === 'dash-2')).toMatchObject({
      welcome_sent: true,
      dtmf_mode: false,
    });
    const metrics = await (await fetch(`${gw.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^byova_conversations_total \d+$/m);
    expect(metrics).toMatch(/^byova_rpcs_total\{method="ProcessCallerInput",code="OK"\} \d+$/m);
    expect(metrics).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+$/m);
  });

  it('answers 404 for unknown paths and 405 for writes', async () => {
    expect((await fetch(`${gw.httpUrl}/nope`)).status).toBe(404);
    expect((await fetch(`${gw.httpUrl}/api/status`, { method: 'POST' })).status).toBe(405);
  });
});

describe('dashboard with authentication', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway(testConfig({ authentication: { enabled: true } }), {
      env: { BYOVA_DASHBOARD_TOKEN: TOKEN, BYOVA_SESSION_SECRET: 'session-secret' },
    });
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('redirects the page to the login and refuses the data endpoints without a session', async () => {
    const page = await fetch(`${gw.httpUrl}/`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/login');
    for (const path of [
      '/api/status',
      '/api/connections',
      '/api/config',
      '/api/debug/sessions',
      '/metrics',
    ]) {
      expect((await fetch(`${gw.httpUrl}${path}`)).status).toBe(401);
    }
    // Load balancer probes stay open.
    expect((await fetch(`${gw.httpUrl}/health`)).status).toBe(200);
  });

  it('logs in with the token and serves the data with the session cookie', async () => {
    const bad = await fetch(`${gw.httpUrl}/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: 'wrong' }),
      redirect: 'manual',
    });
    expect(bad.headers.get('location')).toMatch(/^\/login\?error=/);
    const good = await fetch(`${gw.httpUrl}/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN }),
      redirect: 'manual',
    });
    expect(good.headers.get('location')).toBe('/');
    const cookie = (good.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^byova_session=/);
    expect(good.headers.get('set-cookie')).toMatch(/HttpOnly/);
    expect((await fetch(`${gw.httpUrl}/api/status`, { headers: { cookie } })).status).toBe(200);
    expect(
      (await fetch(`${gw.httpUrl}/api/status`, { headers: { cookie: `${cookie}x` } })).status,
    ).toBe(401);
  });

  it('accepts the token as a bearer token for scripts and Prometheus', async () => {
    expect(
      (await fetch(`${gw.httpUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }))
        .status,
    ).toBe(200);
    expect(
      (await fetch(`${gw.httpUrl}/metrics`, { headers: { authorization: 'Bearer nope' } })).status,
    ).toBe(401);
  });

  it('refuses to start with authentication on and no token', async () => {
    await expect(startGateway(testConfig({ authentication: { enabled: true } }))).rejects.toThrow(
      /needs the dashboard token in \$BYOVA_DASHBOARD_TOKEN/,
    );
  });
});
