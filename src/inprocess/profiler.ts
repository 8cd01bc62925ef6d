/**
 * The V8 sampling heap profiler of this very process, through an in-process node:inspector
 * session. Profiles list sampled objects that are still alive, so a profile after a full GC is a
 * map of live bytes by allocation stack (see src/attribution/profile.ts for what is done with it).
 */
import * as inspector from 'node:inspector';
import type { SamplingProfile } from '../attribution/profile';

/** Where a script's source map is, as the debugger reports it. */
export interface ScriptSourceMap {
  /** The script's URL or path. */
  url: string;
  /** Its source map: a `data:` URL, or a path or URL relative to the script. */
  sourceMapURL: string;
}

/** A running sampling session; stop it when done (detectLeak stops it in a finally). */
export class InProcessHeapSampler {
  private readonly session: inspector.Session;
  private stopped = false;

  private constructor(session: inspector.Session) {
    this.session = session;
  }

  /**
   * Connects a session and starts sampling.
   *
   * @param samplingInterval - average bytes between samples (V8 default 32768)
   * @returns the running sampler
   * @throws Error when the profiler cannot start (e.g. another session already samples)
   */
  static async start(samplingInterval: number): Promise<InProcessHeapSampler> {
    const session = new inspector.Session();
    session.connect();
    const sampler = new InProcessHeapSampler(session);
    try {
      await sampler.post('HeapProfiler.enable', {});
      await sampler.post('HeapProfiler.startSampling', { samplingInterval });
    } catch (error) {
      session.disconnect();
      throw error;
    }
    return sampler;
  }

  /**
   * The profile so far: live sampled objects by allocation stack. Take it after a full GC, or
   * objects that are already dead but not yet collected are still listed.
   *
   * @returns the profile
   */
  async profile(): Promise<SamplingProfile> {
    const result = await this.post('HeapProfiler.getSamplingProfile', {});
    return (result as { profile: SamplingProfile }).profile;
  }

  /**
   * Source map URLs of the given scripts, as the debugger reports them when it is enabled (it
   * announces every script already parsed). Test runners such as jest run transformed code with
   * an inline source map that Node itself does not know about; this is how to find it.
   *
   * @param scriptIds - the scripts of interest
   * @returns script id → its URL and source map URL (only scripts that have one)
   */
  async sourceMapUrls(scriptIds: ReadonlySet<string>): Promise<Map<string, ScriptSourceMap>> {
    const found = new Map<string, ScriptSourceMap>();
    const onParsed = (message: {
      params: { scriptId: string; url: string; sourceMapURL?: string };
    }): void => {
      const { scriptId, url, sourceMapURL } = message.params;
      if (sourceMapURL && scriptIds.has(scriptId)) found.set(scriptId, { url, sourceMapURL });
    };
    this.session.on('Debugger.scriptParsed', onParsed);
    try {
      await this.post('Debugger.enable', {});
      await this.post('Debugger.disable', {});
    } finally {
      this.session.removeListener('Debugger.scriptParsed', onParsed);
    }
    return found;
  }

  /** Stops sampling and disconnects; safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.post('HeapProfiler.stopSampling', {});
      await this.post('HeapProfiler.disable', {});
    } finally {
      this.session.disconnect();
    }
  }

  // node:inspector's callback API, wrapped: node:inspector/promises is typed loosely on Node 20.
  private post(method: string, params: object): Promise<object> {
    return new Promise((resolve, reject) => {
      this.session.post(method, params, (error: Error | null, result?: object) => {
        if (error) reject(error);
        else resolve(result ?? {});
      });
    });
  }
}
