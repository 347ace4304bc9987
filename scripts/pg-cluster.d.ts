export interface Cluster {
  /** Admin URL (superuser, database `postgres`). */
  url: string
  stop(): void
}
export function findPgBin(): string | null
export function startCluster(bin: string, opts?: {durable?: boolean}): Promise<Cluster>
