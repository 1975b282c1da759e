export type * from './catalog';
export { qualifiedName } from './catalog';
export { introspect, type IntrospectOptions } from './introspect';
export { canonicalStructure, fingerprint, readFingerprint } from './fingerprint';
export { identifyingParts, keyIsIndexed, uniqueKeysOf } from './key-index';
