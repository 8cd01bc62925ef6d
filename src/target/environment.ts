/**
 * The least environment: what the target (and, in compare, the base install) inherits from the
 * harness. CI and Actions credentials never reach the service under test; package-registry
 * credentials reach the base install only, which may need a private registry. Anything the
 * service does need is passed explicitly with `env` in the config.
 */

/**
 * Variables never passed to the target, by exact name (documented in the README, "Environment").
 * Matched case-insensitively.
 */
export const WITHHELD_VARIABLES: readonly string[] = [
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'GH_ENTERPRISE_TOKEN',
  'GITHUB_ENTERPRISE_TOKEN',
  'GITLAB_TOKEN',
  'CI_JOB_TOKEN',
  'CI_JOB_JWT',
  'CI_JOB_JWT_V2',
  'BITBUCKET_TOKEN',
  'CIRCLE_TOKEN',
  'BUILDKITE_AGENT_ACCESS_TOKEN',
  'SYSTEM_ACCESSTOKEN',
  'CODECOV_TOKEN',
  'NODE_AUTH_TOKEN',
  'NPM_TOKEN',
  'YARN_NPM_AUTH_TOKEN',
  'NPM_CONFIG__AUTH',
  'NPM_CONFIG__AUTHTOKEN',
  'NPM_CONFIG__PASSWORD',
  'PNPM_HOME_TOKEN',
  'LEAKCHECK_AGENT_SOCKET',
  'LEAKCHECK_AGENT_TOKEN',
];

/** Variables never passed to the target, by prefix: the Actions runtime's tokens, the Action's inputs. */
export const WITHHELD_PREFIXES: readonly string[] = ['ACTIONS_', 'INPUT_'];

/** Package-registry credentials: withheld from the target, kept for the base install. */
const REGISTRY_VARIABLE = /^(NODE_AUTH_TOKEN|NPM_TOKEN|YARN_NPM_AUTH_TOKEN|NPM_CONFIG_.*|npm_config_.*)$/i;

/** Registry credentials set as npm config (`npm_config_//registry/:_authToken`). */
const NPM_CONFIG_CREDENTIAL = /^npm_config_.*(_auth|_authtoken|_password|token)$/i;

const WITHHELD = new Set(WITHHELD_VARIABLES.map((v) => v.toUpperCase()));

/** True for a variable the target must not inherit. */
export function isWithheld(name: string): boolean {
  const upper = name.toUpperCase();
  return (
    WITHHELD.has(upper) ||
    WITHHELD_PREFIXES.some((p) => upper.startsWith(p)) ||
    NPM_CONFIG_CREDENTIAL.test(name)
  );
}

/**
 * The target's environment: the harness's minus the withheld credentials, plus `explicit` (the
 * config's `env`, which may set any variable, a withheld one included, on purpose).
 *
 * @param inherited - the harness's environment
 * @param explicit - variables set by the config
 * @returns the environment to start the target with
 */
export function targetEnvironment(
  inherited: NodeJS.ProcessEnv,
  explicit: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(inherited)) if (v !== undefined && !isWithheld(k)) out[k] = v;
  return { ...out, ...explicit };
}

/**
 * The base install's environment in compare: the target's, plus the package-registry credentials
 * a private registry needs (never GitHub or Actions tokens).
 *
 * @param inherited - the harness's environment
 * @returns the environment to run the install with
 */
export function installEnvironment(inherited: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = targetEnvironment(inherited);
  for (const [k, v] of Object.entries(inherited)) {
    if (v !== undefined && REGISTRY_VARIABLE.test(k) && !k.toUpperCase().startsWith('LEAKCHECK_')) out[k] = v;
  }
  return out;
}
