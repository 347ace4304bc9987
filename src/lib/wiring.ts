/**
 * Connects optional modules (notifications) to the service and the server. Imported by
 * every command, so a local command and `vcash serve` queue the same notifications.
 */
import {EventEmitter} from 'node:events'

import type {NotificationRecord} from './model.js'
import {callbacksRouter} from './notify/admin-routes.js'
import {Dispatcher} from './notify/dispatcher.js'
import {buildNotification} from './notify/events.js'
import {setDefaultNotificationBuilder} from './runtime.js'
import {registerServerExtension} from './server/serve.js'

setDefaultNotificationBuilder(buildNotification)

registerServerExtension((local, {dev}) => {
  const bus = new EventEmitter<{notification: [NotificationRecord]}>()
  bus.setMaxListeners(100)
  // The service's clock, so a simulated clock advance also moves delivery schedules.
  const dispatcher = new Dispatcher({storage: local.storage, now: () => local.service.clock(), devOverride: dev, log: (line) => console.error(line), onFirstAttempt: (n) => bus.emit('notification', n)})
  return {
    adminRouters: [callbacksRouter(local.storage, {devOverride: dev, wake: () => dispatcher.wake(), bus})],
    start: () => dispatcher.start(),
    wake: () => dispatcher.wake(),
    stop: () => dispatcher.stop(),
  }
})
