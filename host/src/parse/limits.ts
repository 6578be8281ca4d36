/** Limits of the v2 formats (docs/FORMAT.md §Limits). Enforced while parsing, before any allocation. */
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
/**
 * Channel names and flag values: UTF-8 that shows what it is. Refused: C0 and C1 controls (U+0000–U+001F,
 * U+007F–U+009F), bidirectional formatting (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and U+FEFF
 * (byte order mark / zero-width no-break space). A terminal or a page printing such a field can then not be made to
 * run text backwards, hide characters or interpret escape sequences, and two fields that look equal are equal.
 */
// eslint-disable-next-line no-control-regex
export const DISPLAY_TEXT_PATTERN = /^[^\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]*$/u;

/** Well-known kinds. The format is open: any kind matching KIND_PATTERN is valid. */
export const KNOWN_KINDS = ['post', 'comment', 'trust', 'agent', 'ledger', 'module', 'policy'] as const;
