// The FUSE adapter: the only code that knows fuse-native.
export { FuseMount, type FuseMountOptions } from './adapter.js';
