/**
 * Connects optional modules (notifications, forwarder adapters) to the service and the
 * server. Imported by commands that open a data dir, so both a local command and
 * `vcash serve` queue the same notifications.
 */
export {}
