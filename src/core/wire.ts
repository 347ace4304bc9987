/** One notification on the admin event stream, exactly as it would be sent (what `vcash listen` forwards). */
export interface WireEvent {
  id: string
  event: string
  channel: string
  transaction_id: string
  method: 'GET' | 'POST'
  /** Query string (GET callbacks) to append to the forward URL. */
  query: string | null
  headers: Record<string, string>
  body: string | null
}
