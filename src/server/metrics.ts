import client from 'prom-client'

import type {ServiceEvent} from '../app/service.js'
import type {Storage} from '../storage/storage.js'

const NON_COUNTER_TOTALS = ['vcash_nodejs_active_handles_total', 'vcash_nodejs_active_requests_total', 'vcash_nodejs_active_resources_total']

/** Prometheus metrics on a registry of our own (many servers can live in one test process). */
export class Metrics {
  readonly registry = new client.Registry()
  private readonly sms: client.Counter<'outcome' | 'provider'>
  private readonly checks: client.Counter<'outcome'>
  private readonly queued: client.Counter<'event'>
  readonly requests: client.Counter<'route' | 'status'>

  constructor(storage: Storage, opts: {now?: () => Date} = {}) {
    const registers = [this.registry]
    client.collectDefaultMetrics({register: this.registry, prefix: 'vcash_'})
    // prom-client names three gauges `*_total`, which Prometheus reserves for counters
    // (promtool check metrics fails on them). Each is the sum over the `type` label of the gauge
    // without the suffix, which stays: sum(vcash_nodejs_active_handles) is the same number.
    for (const name of NON_COUNTER_TOTALS) this.registry.removeSingleMetric(name)
    this.sms = new client.Counter({name: 'vcash_sms_total', help: 'SMS received, by outcome (receive, duplicate, or the reason it was ignored) and provider', labelNames: ['outcome', 'provider'], registers})
    this.checks = new client.Counter({name: 'vcash_checks_total', help: 'payment_link_check calls by outcome', labelNames: ['outcome'], registers})
    this.queued = new client.Counter({name: 'vcash_notifications_queued_total', help: 'Merchant notifications put in the outbox', labelNames: ['event'], registers})
    this.requests = new client.Counter({name: 'vcash_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers})
    new client.Gauge({name: 'vcash_transactions_stored', help: 'Transactions in the store', registers, async collect() {
      this.set(await storage.countTransactions())
    }})
    new client.Gauge({name: 'vcash_sms_stored', help: 'SMS kept (raw bodies)', registers, async collect() {
      this.set(await storage.countSms())
    }})
    // Device health (contract §7): how many are online/offline, and how long each has been silent.
    const now = opts.now ?? (() => new Date())
    new client.Gauge({name: 'vcash_devices', help: 'Devices bringing SMS in, by state (online, offline)', labelNames: ['state'], registers, async collect() {
      const list = await storage.listDevices()
      this.set({state: 'online'}, list.filter((d) => d.state === 'online').length)
      this.set({state: 'offline'}, list.filter((d) => d.state === 'offline').length)
    }})
    new client.Gauge({name: 'vcash_device_silence_seconds', help: 'Seconds since each device\'s last SMS or heartbeat', labelNames: ['store_id', 'device', 'kind'], registers, async collect() {
      const list = await storage.listDevices()
      const at = now().getTime()
      this.reset()
      for (const d of list) this.set({store_id: d.storeId, device: d.name, kind: d.kind}, Math.max(0, Math.round((at - Date.parse(d.lastContactAt)) / 1000)))
    }})
  }

  private readonly requestChildren = new Map<string, client.Counter.Internal>()
  private readonly checkChildren = new Map<string, client.Counter.Internal>()

  /** Hot path: the labelled child counter is looked up once per (route, status). */
  countRequest(route: string, status: number): void {
    const key = `${route} ${status}`
    let c = this.requestChildren.get(key)
    if (!c) this.requestChildren.set(key, (c = this.requests.labels(route, String(status))))
    c.inc()
  }

  onEvent = (e: ServiceEvent): void => {
    if (e.type === 'sms') this.sms.inc({outcome: e.outcome, provider: e.provider ?? 'unknown'})
    else if (e.type === 'check') {
      let c = this.checkChildren.get(e.outcome)
      if (!c) this.checkChildren.set(e.outcome, (c = this.checks.labels(e.outcome)))
      c.inc()
    }
    else this.queued.inc({event: e.outcome})
  }
}
