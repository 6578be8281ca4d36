/** Limits of the v1 formats (docs/FORMAT.md §Limits). Enforced while parsing, before any allocation. */
export const LIMITS = {
  /** Whole .kapsule file. */
  maxCapsuleBytes: 16 * 1024 * 1024 + 16 * 1024,
  /** Signed body (core ‖ commit ‖ payload hash). */
  maxBodyBytes: 16 * 1024,
  maxPayloadBytes: 16 * 1024 * 1024,
  maxParents: 32,
  maxRecipients: 16,
  maxFlags: 16,
  maxFlagValueBytes: 256,
  maxChannelBytes: 64,
  /** Whole .kmod file. */
  maxModuleBytes: 8 * 1024 * 1024 + 8 * 1024,
  maxManifestBytes: 4096,
  maxWasmBytes: 8 * 1024 * 1024,
  maxManifestHostcalls: 64,
} as const;

export const KIND_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
export const FLAG_KEY_PATTERN = /^[a-z][a-z0-9_.-]{0,31}$/;
export const MODULE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
export const MODULE_VERSION_PATTERN = /^[0-9A-Za-z.+-]{1,32}$/;
export const HOSTCALL_NAME_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;
/** Channel: any UTF-8 without control characters. */
// eslint-disable-next-line no-control-regex
export const CHANNEL_PATTERN = /^[^\u0000-\u001f\u007f]*$/u;

/** Well-known kinds. The format is open: any kind matching KIND_PATTERN is valid. */
export const KNOWN_KINDS = ['post', 'comment', 'trust', 'agent', 'ledger', 'module', 'policy'] as const;
