// The human-readable reports of both shapes.

import type { ChurnReport, PhaseReport } from './churn';
import { checkChurnTargets } from './churn';
import { checkTargets, type BenchReport, type Stats, type TargetCheck } from './orchestrator';
import type { CpuSplit } from '@org/service-kit/testing';
import type { ProfileEntry } from './profile';

function latency(s: Stats): string {
  return `p50 ${s.p50 ?? '-'} ms, p99 ${s.p99 ?? '-'} ms (n=${s.count})`;
}

function targetLines(title: string, checks: readonly TargetCheck[]): string[] {
  return [
    `  targets (${title}):`,
    ...checks.map(
      (t) => `    ${t.ok ? 'met   ' : 'missed'} ${t.name}: ${t.measured} (target ${t.target})`,
    ),
  ];
}

/** The steady-state report. */
export function steadyText(report: BenchReport): string {
  return [
    `AudioHook load: ${report.opened}/${report.sessions} stereo PCMU sessions, ${report.holdSeconds} s measured, recording ${report.recording ? 'on' : 'off'}`,
    `  protocol errors           ${report.protocolErrors}${report.errorSamples.length > 0 ? ` (e.g. ${report.errorSamples[0]})` : ''}`,
    `  server CPU                ${report.serverCpuMsPerSessionSecond} ms per session-second (${report.serverCpuSplitMs.total} ms: ${cpuSplitText(report.serverCpuSplitMs)})`,
    `  server RSS                ${report.serverRssKbPerSession} KB per session (baseline ${report.serverRssBaselineMb} MB, peak ${report.serverRssPeakMb} MB)`,
    `  open latency              ${latency(report.openLatencyMs)}`,
    `  ping RTT                  ${latency(report.rttMs)}`,
    `  driver                    ${report.driverCores} cores, max tick lag ${report.driverMaxTickLagMs} ms`,
    ...targetLines('steady state, recording on', checkTargets(report)),
  ].join('\n');
}

function cpuSplitText(split: CpuSplit): string {
  const other = split.total - split.mainUser - split.mainSystem;
  return `main thread ${split.mainUser} user + ${split.mainSystem} sys, other threads ${other}`;
}

function phaseLines(phase: PhaseReport): string[] {
  const errors = `${phase.protocolErrors}${phase.errorSamples.length > 0 ? ` (e.g. ${phase.errorSamples[0]})` : ''}`;
  return [
    `    sessions opened         ${phase.opened}/${phase.sessions}, protocol errors ${errors}`,
    `    span                    ${phase.wallSeconds} s${phase.finalized ? '' : ' (NOT finalized within 60 s)'}, peak RSS ${phase.serverRssPeakMb} MB`,
    `    server CPU              ${phase.serverCpuMs} ms: ${cpuSplitText(phase.serverCpuSplitMs)}`,
    `    open / close latency    ${latency(phase.openLatencyMs)} / ${latency(phase.closeLatencyMs)}`,
    `    ping RTT                ${latency(phase.rttMs)}`,
    `    driver                  ${phase.driverCores} cores`,
  ];
}

/** The churn report. */
export function churnText(report: ChurnReport): string {
  const out = [
    `AudioHook churn: sessions opened at ${report.rate}/s, recording ${report.recording ? 'on' : 'off'}; server idle CPU ${report.serverIdleCpuMsPerSecond} ms/s, baseline RSS ${report.serverRssBaselineMb} MB`,
  ];
  if (report.lifecycle !== undefined) {
    out.push(
      `  lifecycle (upgrade → open → close → closed → recording finished, no audio): ${report.lifecycle.cpuMsPerSession} ms CPU per session`,
      ...phaseLines(report.lifecycle),
    );
  }
  if (report.whole !== undefined) {
    const streaming = report.whole.streamingCpuMsPerSessionSecond;
    out.push(
      `  whole sessions of ${report.sessionSeconds} s: ${report.whole.cpuMsPerSessionSecond} ms CPU per session-second${streaming === undefined ? '' : ` (streaming alone ${streaming})`}`,
      ...phaseLines(report.whole),
    );
  }
  out.push(...targetLines('churn, recording on', checkChurnTargets(report)));
  return out.join('\n');
}

/** The top of a CPU profile. */
export function profileText(path: string, entries: readonly ProfileEntry[]): string {
  return [
    `server CPU profile: ${path} (main thread, measured spans only)`,
    '  self ms     %  function',
    ...entries.map(
      (e) => `  ${String(e.selfMs).padStart(7)} ${e.percent.toFixed(1).padStart(5)}  ${e.name}`,
    ),
  ].join('\n');
}
