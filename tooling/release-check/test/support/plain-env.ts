/** The environment of a plain shell: no npm_* / pnpm variables or NODE_OPTIONS leaking in from `pnpm test`. */
export function plainEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(npm_|pnpm_)/i.test(key) && key !== 'NODE_OPTIONS') env[key] = value;
  return { ...env, ...extra };
}
