/** Node flags for child processes that run this repo's TypeScript: tsx, plus the hook that keeps tsx from
 * re-transpiling binaryen (scripts/loader/binaryen-as-is.mjs). One list for every script and test that spawns node. */
export const DEV_NODE_ARGS: readonly string[] = [
  '--import', 'tsx', '--import', new URL('./loader/register.mjs', import.meta.url).pathname,
];
