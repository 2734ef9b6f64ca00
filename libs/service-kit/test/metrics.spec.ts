import {
  boundedLabel,
  createMetrics,
  DROPPED_SAMPLES_METRIC,
  OTHER,
  ServiceKitError,
} from '../src';

describe('createMetrics', () => {
  it('counts declared label values and maps any other value to "other"', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const sessions = metrics.counter({
      name: 'test_sessions_total',
      help: 'Sessions ended',
      labels: { endpoint: ['audiohook', 'loadtest'], outcome: ['completed', 'failed'] },
    });
    sessions.inc({ endpoint: 'audiohook', outcome: 'completed' });
    sessions.inc({ endpoint: 'audiohook', outcome: 'PRECONDITION: Cannot resolve "x"' }, 2);
    sessions.inc({ endpoint: undefined, outcome: 'failed' });
    expect(await sessions.get({ endpoint: 'audiohook', outcome: 'completed' })).toBe(1);
    expect(await sessions.get({ endpoint: 'audiohook', outcome: 'something' })).toBe(2);
    expect(await sessions.get({ endpoint: OTHER, outcome: 'failed' })).toBe(1);
    const text = await metrics.text();
    expect(text).toContain('test_sessions_total{endpoint="audiohook",outcome="other"} 2');
    expect(text).not.toContain('PRECONDITION');
  });

  it('keeps the series count fixed however many unexpected values arrive', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const disconnects = metrics.counter({
      name: 'test_disconnects_total',
      help: 'Disconnects by reason',
      labels: { reason: ['completed', 'error', 'unauthorized'] },
    });
    disconnects.inc({ reason: 'completed' });
    disconnects.inc({ reason: 'first-unexpected' });
    const before = await metrics.seriesCount();
    for (let i = 0; i < 2000; i++) disconnects.inc({ reason: `attacker-${i}` });
    expect(await metrics.seriesCount()).toBe(before);
    expect(await disconnects.get({ reason: 'other' })).toBe(2001);
  });

  it("does not let a timer's end function add labels (prom-client's end(labels) is unchecked)", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const latency = metrics.histogram({
      name: 'test_timer_seconds',
      help: 'Latency',
      labels: { endpoint: ['a'] },
      buckets: [1],
    });
    latency.startTimer({ endpoint: 'a' })();
    const before = await metrics.seriesCount();
    for (let i = 0; i < 50; i++) {
      const end = latency.startTimer({ endpoint: 'a' }) as (labels?: object) => number;
      end(i % 2 === 0 ? { endpoint: `attacker-${i}` } : { endpoint: 'a', route: `/x/${i}` });
    }
    expect(await metrics.seriesCount()).toBe(before);
    expect(await metrics.text()).not.toContain('attacker');
  });

  it('offers gauges with collect callbacks and histograms with bounded labels', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let active = 0;
    const gauge = metrics.gauge({
      name: 'test_active',
      help: 'Active sessions',
      collect: (g) => g.set(active),
    });
    active = 7;
    expect(await metrics.text()).toContain('test_active 7');
    gauge.inc();
    expect(await gauge.get()).toBe(7);
    const latency = metrics.histogram({
      name: 'test_latency_seconds',
      help: 'Latency',
      labels: { endpoint: ['a'] },
      buckets: [0.1, 1],
    });
    latency.observe({ endpoint: 'zzz' }, 0.5);
    const plain = metrics.histogram({ name: 'test_plain_seconds', help: 'x', buckets: [1] });
    plain.observe(2);
    const labelled = metrics.gauge({
      name: 'test_by_sink',
      help: 'x',
      labels: { sink: ['jsonl'] },
    });
    labelled.set({ sink: 'jsonl' }, 4);
    labelled.set({ sink: 'elastic' }, 5);
    expect([await labelled.get({ sink: 'jsonl' }), await labelled.get({ sink: 'x' })]).toEqual([
      4, 5,
    ]);
    latency.startTimer({ endpoint: 'a' })();
    const text = await metrics.text();
    expect(text).toContain('test_latency_seconds_bucket{le="1",endpoint="other"} 1');
    expect(text).toContain('test_latency_seconds_count{endpoint="a"} 1');
    expect(text).toContain('test_plain_seconds_bucket{le="+Inf"} 1');
  });

  it('lets a counter take over a hot-path count at scrape time', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let pending = 0;
    metrics.counter({
      name: 'test_bytes_total',
      help: 'Bytes',
      collect: (c) => {
        c.inc(undefined, pending);
        pending = 0;
      },
    });
    pending += 1600;
    pending += 1600;
    expect(await metrics.text()).toContain('test_bytes_total 3200');
  });

  it('collects the default process metrics, process_cpu_seconds_total as a counter', async () => {
    const metrics = createMetrics();
    const text = await metrics.text();
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
  });

  it('rejects a label declared without values', () => {
    const metrics = createMetrics({ defaultMetrics: false });
    expect(() =>
      metrics.counter({ name: 'test_bad_total', help: 'x', labels: { code: [] } }),
    ).toThrow(ServiceKitError);
    expect(() => metrics.gauge({ name: 'test_bad2', help: 'x', labels: { code: [''] } })).toThrow(
      expect.objectContaining({ code: 'SVC_ERR_METRIC_DEFINITION' }) as unknown as Error,
    );
  });
});

describe('values a metric cannot record', () => {
  const dropped = (text: string, metric: string): number =>
    Number(
      new RegExp(
        `^service_kit_metric_samples_dropped_total\\{metric="${metric}"\\} (\\S+)$`,
        'm',
      ).exec(text)?.[1] ?? 0,
    );

  it('drops a NaN counter increment and counts it, so the series never becomes NaN', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const bytes = metrics.counter({ name: 'test_bytes_total', help: 'x', labels: { kind: ['a'] } });
    bytes.inc({ kind: 'a' }, 100);
    bytes.inc({ kind: 'a' }, Number.NaN);
    bytes.inc({ kind: 'a' }, 5);
    expect(await bytes.get({ kind: 'a' })).toBe(105);
    const text = await metrics.text();
    expect(text).toContain('test_bytes_total{kind="a"} 105');
    expect(text).not.toMatch(/Nan|NaN/);
    expect(dropped(text, 'test_bytes_total')).toBe(1);
  });

  it('drops negative and infinite counter increments without throwing, and counts them', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const total = metrics.counter({ name: 'test_total', help: 'x' });
    expect(() => {
      total.inc(undefined, -1);
      total.inc(undefined, Infinity);
      total.inc(undefined, -Infinity);
      total.inc(undefined, '3' as unknown as number);
    }).not.toThrow();
    total.inc(undefined, 0);
    total.inc();
    expect(await total.get()).toBe(1);
    expect(dropped(await metrics.text(), 'test_total')).toBe(4);
  });

  it('drops non-finite histogram observations and gauge values without throwing, and counts them', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const latency = metrics.histogram({ name: 'test_seconds', help: 'x', buckets: [0.1, 1] });
    const level = metrics.gauge({ name: 'test_level', help: 'x' });
    expect(() => {
      latency.observe(0.05);
      latency.observe(Number.NaN);
      latency.observe(undefined, Infinity);
      level.set(3);
      level.set(Number.NaN);
      level.inc(undefined, Infinity);
      level.dec(undefined, Number.NaN);
    }).not.toThrow();
    const text = await metrics.text();
    expect(text).toContain('test_seconds_sum 0.05');
    expect(text).toContain('test_seconds_count 1');
    expect(text).toContain('test_level 3');
    expect(dropped(text, 'test_seconds')).toBe(2);
    expect(dropped(text, 'test_level')).toBe(3);
  });

  it('shows no dropped-samples metric while nothing was dropped', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.counter({ name: 'test_ok_total', help: 'x' }).inc(undefined, 2);
    expect(await metrics.text()).not.toContain('service_kit_metric_samples_dropped_total');
    expect(DROPPED_SAMPLES_METRIC).toBe('service_kit_metric_samples_dropped_total');
  });
});

describe('boundedLabel', () => {
  it('keeps allowed values and maps everything else, non-strings included, to other', () => {
    const allowed = ['genesys', 'loadtest'] as const;
    expect(boundedLabel('genesys', allowed)).toBe('genesys');
    expect(boundedLabel('GENESYS', allowed)).toBe('other');
    expect(boundedLabel(undefined, allowed)).toBe('other');
    expect(boundedLabel(['genesys'], allowed)).toBe('other');
  });
});
