/**
 * Distinct URLs and identities per window of consecutive requests (10,000 by default): the same
 * measure for the log and for the replay, so the two can be put side by side. Exact within a
 * window; memory is one window's worth of strings.
 */

/** Requests per window unless the log is shorter. */
export const DISTINCT_WINDOW = 10_000;

/** Distinct counts per window. */
export interface DistinctSummary {
  /** Requests per window. */
  window: number;
  /** Complete windows seen; 0 means `window` is the partial window's length. */
  windows: number;
  /** Mean distinct URLs (path and query) per window. */
  urls: number;
  /** Mean distinct identities per window (requests without one are not counted). */
  identities: number;
}

/** Counts distinct URLs and identities in consecutive windows of requests. */
export class DistinctWindows {
  private urls = new Set<string>();
  private identities = new Set<string>();
  private inWindow = 0;
  private full = 0;
  private urlTotal = 0;
  private identityTotal = 0;

  constructor(readonly window: number = DISTINCT_WINDOW) {}

  /** Records one request. */
  add(url: string, identity: string | undefined): void {
    this.urls.add(url);
    if (identity) this.identities.add(identity);
    if (++this.inWindow >= this.window) {
      this.full++;
      this.urlTotal += this.urls.size;
      this.identityTotal += this.identities.size;
      this.urls = new Set();
      this.identities = new Set();
      this.inWindow = 0;
    }
  }

  /** Means over the complete windows, or the partial window when none is complete. */
  summary(): DistinctSummary {
    if (this.full === 0) {
      return { window: this.inWindow, windows: 0, urls: this.urls.size, identities: this.identities.size };
    }
    return {
      window: this.window,
      windows: this.full,
      urls: Math.round(this.urlTotal / this.full),
      identities: Math.round(this.identityTotal / this.full),
    };
  }
}
