/**
 * A resource that runs out instead of growing: a pool whose connections are taken and never given
 * back, a semaphore, a queue with a cap. The heap stays flat (the pool holds at most its maximum),
 * so no slope shows it; what shows is the service itself. An endpoint that answered its first
 * requests fails from some point on and never recovers (503 "no connection", 500 "pool timeout"),
 * or the whole service stops answering (requests wait on the pool until they time out). Either is
 * the end state of that leak, as heap exhaustion is of a heap leak, and either is judged from the
 * responses over the run's time ({@link ResponseTimeline}, kept by the load generator).
 */
import { formatNumber } from './format';

/** Responses of one endpoint: how it began, then counts per second of the load. */
export interface EndpointTimeline {
  /** Responses answered (status below 500) before the endpoint's first failure (all, while none failed). */
  answeredFirst: number;
  /** Whether any response of the endpoint has failed yet. */
  hasFailed: boolean;
  /** Per second since the load started: responses with a status below 500. */
  answered: number[];
  /** Per second since the load started: responses with a status of 500 or more. */
  failed: number[];
}

/** What the load generator saw over time. */
export interface ResponseTimeline {
  /** Per endpoint (as the traffic names them: "GET /api/users/{id}"). */
  endpoints: Record<string, EndpointTimeline>;
  /** Per second since the load started: requests that timed out or failed to connect. */
  unanswered: number[];
  /** Responses answered before the service's first failure, time-out or connection error. */
  answeredFirst: number;
  /** Whether any response failed, timed out or failed to connect yet. */
  hasFailed: boolean;
}

/** The rule that decides a run whose resource ran out (report.json `decidedBy.rule`). */
export const EXHAUSTION_RULE = 'resource-exhausted';

/**
 * An endpoint began healthy when it answered at least this many requests before its first failure
 * (a pool of 10 drained by one path fails that path from its 11th request on). An endpoint that
 * fails 90% of the time all along answers its first five in one run of 100,000: what trips the
 * rule is a change, not a failing route.
 */
export const HEALTHY_START = 5;
/** The service began healthy when it answered at least this many before its first failure. */
export const SERVICE_HEALTHY_START = 20;
/** The stretch judged: the last this share of the load's seconds... */
export const LATE_SHARE = 0.5;
/** ...and at least this many seconds of it. */
export const LATE_MIN_SECONDS = 3;
/** An endpoint is exhausted when at least this share of its late responses failed... */
export const EXHAUSTED_FAILED_SHARE = 0.9;
/** ...over at least this many late responses. */
export const EXHAUSTED_MIN_RESPONSES = 20;
/** The service stopped answering when its late rate fell below this share of its best second. */
export const STOPPED_RATE_SHARE = 0.05;
/** ...and at least this many requests timed out or failed to connect in the late stretch. */
export const STOPPED_MIN_UNANSWERED = 5;

/** A resource that ran out, as the responses show it. */
export interface Exhaustion {
  /** `endpoint`: one endpoint fails from some point on; `service`: the service stopped answering. */
  kind: 'endpoint' | 'service';
  /** The endpoint that failed (kind `endpoint`). */
  endpoint?: string;
  /** Requests answered before the first failure. */
  answeredFirst: number;
  /** The late stretch: its seconds since the load started, responses and failures in it. */
  late: { fromSecond: number; toSecond: number; responses: number; failed: number; unanswered: number };
  /** kind `service`: the best second's answered responses, and the late stretch's per second. */
  rate?: { best: number; late: number };
  /** One sentence for the report's reason. */
  reason: string;
}

const sum = (v: readonly number[], from: number, to: number): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += v[i] ?? 0;
  return s;
};

/**
 * Whether a resource ran out during the load: an endpoint whose start was healthy and whose late
 * stretch failed almost entirely, or a service whose start was healthy and that stopped answering
 * (its late rate a sliver of its best second's, with requests timing out). A service that failed
 * from its first requests (a route missing, test data absent) is not exhausted: that is the
 * replay's fidelity warning, not a leak.
 *
 * @param timeline - what the load generator saw
 * @param loadSeconds - how long the load has run (a service that stopped answering records nothing
 *   in its last seconds, so the counts' own length is not the load's)
 * @returns the exhaustion found (the endpoint failing the most first), or null
 */
export function findExhaustion(timeline: ResponseTimeline, loadSeconds: number): Exhaustion | null {
  const seconds = Math.max(
    Math.ceil(loadSeconds),
    timeline.unanswered.length,
    ...Object.values(timeline.endpoints).map((e) => Math.max(e.answered.length, e.failed.length)),
  );
  const lateSeconds = Math.max(LATE_MIN_SECONDS, Math.floor(seconds * LATE_SHARE));
  // The late stretch leaves out the last second, which the load's stop cuts short.
  const to = seconds - 1;
  const from = to - lateSeconds;
  if (from < 1) return null;
  const lateUnanswered = sum(timeline.unanswered, from, to);
  let best: Exhaustion | null = null;
  let bestShare = 0;
  for (const [endpoint, e] of Object.entries(timeline.endpoints)) {
    if (e.answeredFirst < HEALTHY_START) continue;
    const answered = sum(e.answered, from, to);
    const failed = sum(e.failed, from, to);
    const responses = answered + failed;
    if (responses < EXHAUSTED_MIN_RESPONSES || failed < EXHAUSTED_FAILED_SHARE * responses) continue;
    // The endpoint failing the most wins (the first of equals, in the traffic's order).
    if (best && failed / responses <= bestShare) continue;
    bestShare = failed / responses;
    best = {
      kind: 'endpoint',
      endpoint,
      answeredFirst: e.answeredFirst,
      late: { fromSecond: from, toSecond: to, responses, failed, unanswered: lateUnanswered },
      reason: `${endpoint} answered its first ${formatNumber(e.answeredFirst)} requests and then failed ${percent(bestShare)} of ${formatNumber(responses)} (status 500 or more) from second ${from} to ${to} of the load: a resource it needs ran out and did not come back (a pool's connections taken and never released, handles, a capped queue), which the heap does not show`,
    };
  }
  if (best) return best;

  // The whole service: its healthy start, then its answered rate.
  if (timeline.answeredFirst < SERVICE_HEALTHY_START) return null;
  const answeredPerSecond = new Array<number>(seconds).fill(0);
  let lateFailed = 0;
  for (const e of Object.values(timeline.endpoints)) {
    for (let i = 0; i < seconds; i++)
      answeredPerSecond[i] = (answeredPerSecond[i] as number) + (e.answered[i] ?? 0);
    lateFailed += sum(e.failed, from, to);
  }
  const bestSecond = Math.max(...answeredPerSecond.slice(0, to));
  const lateAnswered = sum(answeredPerSecond, from, to);
  const lateRate = lateAnswered / lateSeconds;
  if (
    bestSecond <= 0 ||
    lateRate >= STOPPED_RATE_SHARE * bestSecond ||
    lateUnanswered < STOPPED_MIN_UNANSWERED
  )
    return null;
  return {
    kind: 'service',
    answeredFirst: timeline.answeredFirst,
    late: {
      fromSecond: from,
      toSecond: to,
      responses: lateAnswered + lateFailed,
      failed: lateFailed,
      unanswered: lateUnanswered,
    },
    rate: { best: bestSecond, late: lateRate },
    reason: `the service answered its first ${formatNumber(timeline.answeredFirst)} requests, up to ${formatNumber(bestSecond)} requests a second and then stopped: ${formatNumber(lateRate, lateRate >= 10 ? 0 : 1)} a second from second ${from} to ${to} of the load, ${formatNumber(lateUnanswered)} requests timed out or failed to connect: requests wait on a resource that ran out (a pool's connections taken and never released, a lock, a capped queue), which the heap does not show`,
  };
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
