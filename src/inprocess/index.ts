/** In-process leak detection for unit tests: detectLeak and the middleware helper. */
export {
  DETECT_LEAK_DEFAULTS,
  detectLeak,
  formatPerCall,
  formatSite,
  resolveDetectLeakOptions,
  type AttributionStatus,
  type DetectLeakOptions,
  type LeakDetection,
  type LeakTestFunction,
  type PerCallGrowth,
  type ResolvedDetectLeakOptions,
} from './detect';
export {
  middlewareCall,
  type Middleware,
  type MiddlewareCallOptions,
  type MockRequest,
  type MockRequestInit,
  type MockResponse,
  type NextFunction,
} from './middleware';
