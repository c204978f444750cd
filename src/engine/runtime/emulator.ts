/** A running local AWS emulator (or a proxy in front of one): where to reach it, and how to stop it. */
export interface Emulator {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  stop(): Promise<void>;
}
