/** Names of the exporter's metrics, without its dependencies (the alert generator reads them). */

/** Names of the exported metrics (what `leakcheck alerts` and `leakcheck watch` default to). */
export const EXPORTER_METRICS = {
  /** Gauge: V8 heap in use right after the latest major GC, bytes. */
  heapAfterGc: 'leakcheck_heap_used_after_gc_bytes',
  /** Gauge: memory held by C++ objects bound to JS (Buffers) right after the latest major GC. */
  externalAfterGc: 'leakcheck_external_memory_after_gc_bytes',
  /** Counter: major GCs observed. */
  majorGcs: 'leakcheck_major_gcs_total',
  /** Gauge: unix time of the latest major GC, seconds. */
  lastMajorGc: 'leakcheck_last_major_gc_timestamp_seconds',
  /** Counter: HTTP responses finished by node:http servers (any framework on top). */
  requests: 'leakcheck_http_requests_total',
  /** Gauge: V8's heap size limit, bytes. */
  heapLimit: 'leakcheck_heap_limit_bytes',
} as const;
