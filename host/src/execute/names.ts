/** Export names the instrumenter adds and the host reads (the guest may not use the `__kapsule` prefix). */
export const EXPORT_FUEL = '__kapsule_fuel';
export const EXPORT_DEPTH = '__kapsule_depth';
export const EXPORT_GROW_FAILED = '__kapsule_grow_failed';
export const EXPORT_START = '__kapsule_start';
export const EXPORT_MEMORY = '__kapsule_memory';
export const EXPORT_CHARGE = '__kapsule_charge';
/** Prefix of the exports of every mutable global (`__kapsule_g<global index>`), for instance reset (sandbox.ts). */
export const EXPORT_GLOBAL_PREFIX = '__kapsule_g';
