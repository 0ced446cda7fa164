// cluster-key-slot ships no types: the one function authflow uses.
declare module 'cluster-key-slot' {
  /** The Redis Cluster slot (0–16383) of `key`, hash tags included. */
  export default function calculateSlot(key: string | Buffer): number;
}
