// Types for the parts of fuse-native 2.2.6 the adapter uses (the package ships none).
declare module 'fuse-native' {
  type Cb = (...args: any[]) => void;
  interface FuseOps {
    [op: string]: ((...args: any[]) => void) | undefined;
  }
  interface FuseOpts {
    force?: boolean;
    mkdir?: boolean;
    debug?: boolean;
    allowOther?: boolean;
    defaultPermissions?: boolean;
    autoUnmount?: boolean;
    fsname?: string;
    subtype?: string;
    timeout?: number | false | Record<string, number | false>;
  }
  class Fuse {
    constructor(mnt: string, ops: FuseOps, opts?: FuseOpts);
    mnt: string;
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    _fuseOptions(): string;
    static unmount(mnt: string, cb: Cb): void;
    static isConfigured(cb: (err: Error | null, configured: boolean) => void): void;
  }
  export default Fuse;
}
