/** Environment variable names, as upstream's validation.IsEnvVarName and its relaxed rule (one definition for the API and the kubelet). */

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * validation.IsEnvVarName (strict), or the RelaxedEnvironmentVariableValidation rule (on in 1.32 for the API):
 * printable ASCII but '='.
 */
export function isEnvVarName(name: string, relaxed = false): boolean {
  if (relaxed) return name.length > 0 && /^[\x20-\x7e]+$/.test(name) && !name.includes('=');
  return ENV_VAR_NAME.test(name);
}
