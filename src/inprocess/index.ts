/** In-process leak detection for unit tests: detectLeak and the middleware helper. */
export {
  detectLeak,
  formatPerCall,
  formatSite,
  type AttributionStatus,
  type LeakDetection,
  type LeakTestFunction,
  type PerCallGrowth,
} from './detect';
export {
  DETECT_LEAK_DEFAULTS,
  resolveDetectLeakOptions,
  type DetectLeakOptions,
  type ResolvedDetectLeakOptions,
} from './options';
export {
  middlewareCall,
  type Middleware,
  type MiddlewareCallOptions,
  type MockRequest,
  type MockRequestInit,
  type MockResponse,
  type NextFunction,
} from './middleware';
