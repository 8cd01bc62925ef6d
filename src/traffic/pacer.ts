/**
 * Smooth pacing of request starts. autocannon's own rate limit lets each connection send its
 * whole per-second budget at the start of every second; this pacer spaces starts evenly instead
 * (one slot every 1/rate seconds, released by a single timer), and the rate may vary over time
 * (constant, ramp, or a shape compressed from a log).
 */

/** Arrival rate as a function of seconds since the start of the load. */
export type RateFunction = (elapsedSeconds: number) => number;

/** Rate settings as written in the config. */
export type RateSpec =
  | { kind: 'constant'; rps: number }
  | { kind: 'ramp'; from: number; to: number; seconds: number }
  | { kind: 'shape'; rps: number[]; secondsPerStep: number };

/** Turns a rate spec into a rate function. */
export function rateFunction(spec: RateSpec): RateFunction {
  switch (spec.kind) {
    case 'constant':
      return () => spec.rps;
    case 'ramp':
      return (t) => spec.from + (spec.to - spec.from) * Math.min(1, t / spec.seconds);
    case 'shape':
      // A shape is one period of traffic (a log's day squeezed into the run): a load that outlasts
      // it goes round again. Held at its last step instead, a run bounded by requests, or one that
      // outlasts its planned window, went on at that step's rate (a quiet hour's can be the 5%
      // floor of compressRate) for the rest of the run.
      return (t) => {
        const i = Math.floor(Math.max(0, t) / spec.secondsPerStep) % spec.rps.length;
        return spec.rps[i] ?? 0;
      };
  }
}

/** Clock and timer seams, so tests drive the pacer without sleeping. */
export interface PacerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: PacerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Hands out start slots at the configured rate; callers queue when they are early. */
export class Pacer {
  private readonly start: number;
  private nextSlot: number;
  private readonly queue: Array<() => void> = [];
  private timer: unknown = null;
  private stopped = false;

  constructor(
    private readonly rate: RateFunction,
    private readonly clock: PacerClock = realClock,
  ) {
    this.start = clock.now();
    this.nextSlot = this.start;
  }

  /** Runs `fn` at its slot: now if the schedule allows, otherwise when its slot comes. */
  acquire(fn: () => void): void {
    if (this.stopped) return;
    this.queue.push(fn);
    this.release();
  }

  /** Drops queued callers; nothing more is released. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private release(): void {
    const now = this.clock.now();
    // Slots missed while every connection was busy are not made up in a burst.
    if (this.nextSlot < now - 50) this.nextSlot = now - 50;
    while (this.queue.length > 0 && this.nextSlot <= now) {
      const fn = this.queue.shift() as () => void;
      this.advance();
      fn();
    }
    if (this.queue.length > 0 && this.timer === null && !this.stopped) {
      this.timer = this.clock.setTimeout(
        () => {
          this.timer = null;
          this.release();
        },
        Math.max(1, this.nextSlot - now),
      );
    }
  }

  private advance(): void {
    const rps = this.rate((this.nextSlot - this.start) / 1000);
    // A zero rate pauses for a tenth of a second and asks again.
    this.nextSlot += rps > 0 ? 1000 / rps : 100;
  }
}
