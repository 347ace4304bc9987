/** What WHMCS's answer to AddCredit means, in words an operator can act on. */
export interface WhmcsVerdict {
  ok: boolean
  /** A configuration problem retrying won't fix without the operator. */
  configError: boolean
  message: string
}

export function interpretWhmcs(status: number, body: string): WhmcsVerdict {
  let json: Record<string, unknown> | null = null
  try {
    json = JSON.parse(body) as Record<string, unknown>
  } catch {
    // WHMCS answers plain text for some errors.
  }
  const result = typeof json?.result === 'string' ? json.result : null
  const text = typeof json?.message === 'string' ? json.message : body
  if (status >= 200 && status < 300 && result === 'success') return {ok: true, configError: false, message: 'credit added'}
  const ip = /Invalid IP\s+([0-9a-fA-F.:]+)/i.exec(text)
  if (ip) {
    return {
      ok: false,
      configError: true,
      message: `WHMCS refused our server's address ${ip[1]}. In WHMCS go to Settings → Security and add ${ip[1]} to both "Whitelisted IPs" and "API IP Access Restriction", then retry (vcash callbacks retry --failed).`,
    }
  }
  if (/Authentication Failed/i.test(text)) {
    return {
      ok: false,
      configError: true,
      message: 'WHMCS says "Authentication Failed": the API identifier or secret is wrong, or the credential lacks the Add/Remove Credit role. Fix it with vcash store set --whmcs-identifier … --whmcs-secret …, then retry.',
    }
  }
  if (/Client ID Not Found/i.test(text)) {
    return {ok: false, configError: true, message: `WHMCS has no client with that id (${text.slice(0, 120)}). The check's client_id/user_name must be the numeric WHMCS client id.`}
  }
  return {ok: false, configError: false, message: `WHMCS answered ${status}${result ? ` result=${result}` : ''}: ${text.slice(0, 200)}`}
}
