/**
 * Group commit's queue, for anything a round trip is paid per call of: the calls that arrive
 * while `out` groups are being run go together in the next group (at most `max` of them). The
 * first call after a quiet moment runs at once, alone; under load, groups grow by themselves.
 */
export class Groups<T> {
  private readonly queue: T[] = []
  private running = 0

  /** `run` answers every item of its group itself, and never throws. */
  constructor(private readonly run: (group: T[]) => Promise<void>, private readonly o: {max: number; out: number}) {}

  push(item: T): void {
    this.queue.push(item)
    this.drain()
  }

  private drain(): void {
    while (this.queue.length > 0 && this.running < this.o.out) {
      const group = this.queue.splice(0, this.o.max)
      this.running++
      const done = () => {
        this.running--
        this.drain()
      }
      this.run(group).then(done, done)
    }
  }
}
