/**
 * Connects optional modules (notifications) to the service and the server. Imported by
 * every command, so a local command and `vcash serve` queue the same notifications.
 */
import {callbacksRouter} from './notify/admin-routes.js'
import {Dispatcher} from './notify/dispatcher.js'
import {buildNotification} from './notify/events.js'
import {setDefaultNotificationBuilder} from './runtime.js'
import {registerServerExtension} from './server/serve.js'

setDefaultNotificationBuilder(buildNotification)

registerServerExtension((local, {dev}) => {
  const dispatcher = new Dispatcher({storage: local.storage, devOverride: dev, log: (line) => console.error(line)})
  return {
    adminRouters: [callbacksRouter(local.storage, {devOverride: dev, wake: () => dispatcher.wake()})],
    start: () => dispatcher.start(),
    wake: () => dispatcher.wake(),
    stop: () => dispatcher.stop(),
  }
})
