/** Samples as the run loop records them: the agent's measurement plus when and in which phase. */
import type { AgentSample } from '../agent/protocol';

/** Phases of a run. Warm-up and cool-down samples are kept for the report, never fitted. */
export type Phase = 'warmup' | 'measure' | 'cooldown';

/** One post-GC sample of one target process. */
export interface Sample extends AgentSample {
  phase: Phase;
  /** Milliseconds since the run started (harness clock). */
  t: number;
  /** Responses the load generator had seen complete when the sample was asked for. */
  loadCompleted: number;
}

/** The metrics leakcheck fits, read off a sample. */
export function metricValue(sample: Sample, metric: string): number | null {
  switch (metric) {
    case 'heapUsed':
    case 'external':
    case 'arrayBuffers':
    case 'rss':
    case 'handles':
    case 'sockets':
      return sample[metric];
    case 'fds':
      return sample.fds;
    default:
      return null;
  }
}
