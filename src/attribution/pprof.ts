/**
 * The growing-allocation profile in pprof format (gzipped protobuf, as `go tool pprof`, Speedscope
 * and most profile viewers read it): one sample per stack whose live bytes grew between two
 * profiles, valued in bytes grown and bytes per 1,000 requests.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { Function as PprofFunction, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import type { GrowingSite, StackFrame } from './profile';
import { toPath } from './sourcemap';

/** What the profile describes, for its header. */
export interface PprofMeta {
  /** Sampling interval of the heap profiler, in bytes. */
  samplingInterval: number;
  /** Requests served between the two profiles. */
  requests: number;
}

/**
 * Encodes growing sites (one per full stack) as a pprof profile.
 *
 * @param sites - sites from `growingSites(..., { groupBy: 'stack' })`; non-positive growth is skipped
 * @param meta - sampling interval and requests, recorded in the profile
 * @returns the uncompressed protobuf bytes
 */
export function encodePprof(sites: readonly GrowingSite[], meta: PprofMeta): Uint8Array {
  const strings = new StringTable();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const functionIds = new Map<string, number>();
  const locationIds = new Map<string, number>();
  const locationOf = (f: StackFrame): number => {
    const key = `${f.functionName}\0${f.url}\0${f.line}\0${f.column}`;
    let id = locationIds.get(key);
    if (id !== undefined) return id;
    const fnKey = `${f.functionName}\0${f.url}`;
    let fnId = functionIds.get(fnKey);
    if (fnId === undefined) {
      fnId = functions.length + 1;
      functionIds.set(fnKey, fnId);
      const file = f.url === '' ? '(internal)' : toPath(f.url);
      functions.push(
        new PprofFunction({
          id: fnId,
          name: strings.dedup(f.functionName),
          systemName: strings.dedup(f.functionName),
          filename: strings.dedup(file),
          startLine: f.line,
        }),
      );
    }
    id = locations.length + 1;
    locationIds.set(key, id);
    locations.push(new Location({ id, line: [{ functionId: fnId, line: f.line, column: f.column }] }));
    return id;
  };
  const samples: Sample[] = [];
  for (const site of sites) {
    if (!(site.growth > 0) || site.stack.length === 0) continue;
    samples.push(
      new Sample({
        // pprof lists a sample's locations leaf first, as the stack already is.
        locationId: site.stack.map(locationOf),
        value: [Math.round(site.growth), Math.round(site.perUnit * 1000)],
      }),
    );
  }
  const profile = new Profile({
    sampleType: [
      new ValueType({ type: strings.dedup('grown_space'), unit: strings.dedup('bytes') }),
      new ValueType({ type: strings.dedup('grown_space_per_1k_requests'), unit: strings.dedup('bytes') }),
    ],
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    periodType: new ValueType({ type: strings.dedup('space'), unit: strings.dedup('bytes') }),
    period: meta.samplingInterval,
    comment: [
      strings.dedup(`leakcheck: live bytes that grew over ${meta.requests} requests, by allocation stack`),
    ],
  });
  return profile.encode();
}

/**
 * Writes {@link encodePprof}'s bytes gzipped to `file`.
 *
 * @param file - destination, conventionally `*.pb.gz`
 * @param sites - growing sites by full stack
 * @param meta - sampling interval and requests
 */
export function writePprof(file: string, sites: readonly GrowingSite[], meta: PprofMeta): void {
  fs.writeFileSync(file, zlib.gzipSync(encodePprof(sites, meta)));
}
