// The package entry for `import { … } from "kapsule-guest-sdk"` (asc resolves a package to its index.ts).
export * from "./assembly/index";
