export const VIGIL_VERSION = '0.1.0';
/** The Redis version Vigil reports to clients, which gate features on it. */
export const REDIS_COMPAT_VERSION = '7.0.15';
