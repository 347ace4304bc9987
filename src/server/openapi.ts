/** The API description served at /openapi.json (contract §2), kept beside the routes. */
const err = {$ref: '#/components/schemas/Error'}
const errResponse = (description: string) => ({description, content: {'application/json': {schema: err}}})

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'vcash',
      version: '1',
      description: 'Verify Vodafone Cash, e& money, InstaPay and Orange Cash transfers from the wallet phone\'s SMS. Errors are `{status:false, code, message}` with a stable `code`.',
    },
    components: {
      securitySchemes: {
        apiToken: {type: 'http', scheme: 'bearer', description: 'The store API token'},
        deviceToken: {type: 'http', scheme: 'bearer', description: 'The wallet phone\'s device token'},
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['status', 'code', 'message'],
          properties: {
            status: {const: false},
            code: {type: 'string', examples: ['invalid_input', 'unauthorized', 'store_not_found', 'rate_limited']},
            message: {type: 'string'},
            errors: {type: 'array', items: {type: 'object', properties: {field: {type: 'string'}, message: {type: 'string'}}}},
          },
        },
        Transaction: {
          type: 'object',
          properties: {
            id: {type: 'string'},
            store_id: {type: 'string'},
            status: {enum: ['PENDING', 'COMPLETED', 'AWAITING_APPROVAL', 'REJECTED', 'EXPIRED']},
            provider: {enum: ['vodafone_cash', 'instapay', 'etisalat_cash', 'orange_cash']},
            amount: {type: 'string', pattern: '^\\d+\\.\\d{2}$', description: 'EGP, exact decimal'},
            sender_phone: {type: ['string', 'null'], pattern: '^01[0125]\\d{8}$'},
            sender_name: {type: ['string', 'null']},
            reference: {type: ['string', 'null']},
            balance: {type: ['string', 'null']},
            occurred_at: {type: ['string', 'null'], format: 'date-time'},
            received_at: {type: 'string', format: 'date-time'},
            created_at: {type: 'string', format: 'date-time'},
            updated_at: {type: 'string', format: 'date-time'},
            user_name: {type: ['string', 'null']},
            client_id: {type: ['string', 'null']},
            held_by: {type: 'array', items: {type: 'string'}},
            verdict: {enum: ['verified', 'suspicious', 'unknown'], description: 'The balance chain\'s verdict: the receipt\'s balance follows from the wallet\'s last known one, contradicts it, or cannot be told'},
            holds: {type: 'array', description: 'Gates that keep the receipt from being claimed automatically (too_old, foreign_wallet, balance_mismatch, no_sender_id)', items: {type: 'object', properties: {gate: {type: 'string'}, why: {type: 'string'}}}},
            receiving_account: {type: ['string', 'null'], description: 'The wallet or account the SMS says it was credited to'},
            audit: {type: 'array', items: {type: 'object', properties: {at: {type: 'string'}, by: {type: 'string'}, from: {type: ['string', 'null']}, to: {type: 'string'}, why: {type: 'string'}}}},
          },
        },
        Device: {
          type: 'object',
          properties: {
            id: {type: 'string'},
            store_id: {type: 'string'},
            name: {type: 'string', examples: ['adb:R58M123ABC', 'smsgateway:ffffffffceb0b1db', 'api']},
            kind: {enum: ['tail', 'forwarder', 'api']},
            state: {enum: ['online', 'offline']},
            state_since: {type: 'string', format: 'date-time'},
            last_contact_at: {type: 'string', format: 'date-time'},
            silent_for_seconds: {type: 'integer'},
            app_version: {type: ['string', 'null']},
            phone: {type: ['object', 'null'], properties: {state: {enum: ['ready', 'locked', 'unauthorized', 'offline', 'unplugged', 'no_device', 'unknown']}, detail: {type: ['string', 'null']}}},
            created_at: {type: 'string', format: 'date-time'},
          },
        },
        CheckAnswer: {
          type: 'object',
          required: ['status', 'code', 'message'],
          properties: {
            status: {type: 'boolean', description: 'true only when the payment is confirmed'},
            code: {enum: ['completed', 'not_found', 'awaiting_approval', 'rejected', 'invalid_input', 'rate_limited']},
            message: {type: 'string', description: 'Short, for the customer, in `lang`'},
            transaction_id: {type: 'string'},
            requires_verification: {type: 'boolean'},
            amount: {type: 'string'},
            phone: {type: 'string'},
            provider: {type: 'string'},
            reference: {type: ['string', 'null']},
          },
        },
      },
    },
    paths: {
      '/api/payment_link_check': {
        get: {
          summary: 'Match a customer\'s claim (phone + amount) to a PENDING transfer',
          description: 'HTTP 200 for every business outcome; `status: true` only on a confirmed payment. Compatible with the VodafoneCash WHMCS module. Token optional unless the store requires one (Bearer or `token` query).',
          parameters: [
            {name: 'phone', in: 'query', schema: {type: 'string'}, description: 'The payer\'s wallet phone; required unless `reference` is given'},
            {name: 'reference', in: 'query', schema: {type: 'string'}, description: 'The wallet reference from the receipt: claims transfers whose SMS has no payer phone (Orange Cash, InstaPay to a bank, remittances)'},
            {name: 'amount', in: 'query', required: true, schema: {type: 'string'}, description: 'EGP, e.g. 100, 100.5, 1,000.50'},
            {name: 'store_id', in: 'query', required: true, schema: {type: 'string'}},
            {name: 'user_name', in: 'query', schema: {type: 'string'}},
            {name: 'client_id', in: 'query', schema: {type: 'string'}},
            {name: 'lang', in: 'query', schema: {enum: ['en', 'ar']}},
            {name: 'token', in: 'query', schema: {type: 'string'}},
          ],
          responses: {
            200: {description: 'The outcome', content: {'application/json': {schema: {$ref: '#/components/schemas/CheckAnswer'}}}},
            400: errResponse('Bad phone/amount/parameters'),
            401: errResponse('Token required and missing/wrong'),
            403: errResponse('Caller IP not in the store allowlist'),
            404: errResponse('Unknown store'),
            429: errResponse('Too many failed checks; see Retry-After'),
          },
        },
      },
      '/api/public/store/{storeId}/rate': {
        get: {
          summary: 'The store\'s currency rate (public, CORS open)',
          parameters: [{name: 'storeId', in: 'path', required: true, schema: {type: 'string'}}],
          responses: {
            200: {description: 'Rate', content: {'application/json': {schema: {type: 'object', properties: {status: {const: true}, rate: {type: 'string'}, currency_label: {type: 'string'}}}}}},
            404: errResponse('Unknown store'),
          },
        },
      },
      '/api/sms': {
        post: {
          summary: 'Ingest one received SMS (from the wallet phone)',
          security: [{deviceToken: []}],
          description: 'An optional `X-Vcash-Device` header names the device (e.g. `adb:SERIAL`); its last contact moves with the SMS. Leave `sender` out (or null) for a channel that forwards the text only: stored as ignored (`no_sender_id`) unless the store allows it.',
          requestBody: {required: true, content: {'application/json': {schema: {type: 'object', required: ['body'], properties: {sender: {type: ['string', 'null']}, body: {type: 'string'}, received_at: {type: 'string', format: 'date-time'}}}}}},
          responses: {
            201: {description: 'A new receipt (a PENDING transaction was created)'},
            200: {description: 'Already have it (duplicate)'},
            202: {description: 'Stored but ignored (not a receipt, or untrusted sender)'},
            400: errResponse('Bad body'),
            401: errResponse('Missing or wrong device token'),
            413: errResponse('Body too large'),
            415: errResponse('Not JSON'),
          },
        },
      },
      '/api/devices/heartbeat': {
        post: {
          summary: 'A device says it is alive (contract §7); `vcash sms tail` sends one every minute',
          security: [{deviceToken: []}],
          requestBody: {required: true, content: {'application/json': {schema: {type: 'object', required: ['name'], properties: {name: {type: 'string'}, kind: {enum: ['tail', 'forwarder', 'api']}, app_version: {type: ['string', 'null']}, phone: {type: ['object', 'null'], properties: {state: {type: 'string'}, detail: {type: ['string', 'null']}}}}}}}},
          responses: {200: {description: '{status, device}', content: {'application/json': {schema: {type: 'object', properties: {status: {const: true}, device: {$ref: '#/components/schemas/Device'}}}}}}, 400: errResponse('Bad body'), 401: errResponse('Missing or wrong device token')},
        },
      },
      '/api/devices': {
        get: {
          summary: 'The store\'s devices and their last contact; one silent past the store\'s limit is offline (device.offline webhook)',
          security: [{apiToken: []}],
          responses: {200: {description: '{status, devices}', content: {'application/json': {schema: {type: 'object', properties: {status: {const: true}, devices: {type: 'array', items: {$ref: '#/components/schemas/Device'}}}}}}}, 401: errResponse('Unauthorized')},
        },
      },
      '/api/transactions': {
        get: {
          summary: 'List the store\'s transactions (newest first)',
          security: [{apiToken: []}],
          parameters: ['status', 'since', 'until', 'phone', 'limit', 'cursor'].map((name) => ({name, in: 'query', schema: {type: 'string'}})),
          responses: {200: {description: 'A page: {status, transactions, next_cursor}'}, 400: errResponse('Bad filter'), 401: errResponse('Unauthorized')},
        },
      },
      '/api/transactions/{id}': {
        get: {
          summary: 'One transaction (server-to-server revalidation)',
          security: [{apiToken: []}],
          parameters: [{name: 'id', in: 'path', required: true, schema: {type: 'string'}}],
          responses: {200: {description: '{status, transaction}', content: {'application/json': {schema: {type: 'object', properties: {status: {const: true}, transaction: {$ref: '#/components/schemas/Transaction'}}}}}}, 401: errResponse('Unauthorized'), 404: errResponse('Not found')},
        },
      },
      '/api/transactions/{id}/approve': {
        post: {summary: 'Approve a transaction held by anti-spam (completes it, notifies the merchant)', security: [{apiToken: []}], parameters: [{name: 'id', in: 'path', required: true, schema: {type: 'string'}}], responses: {200: {description: '{status, transaction}'}, 404: errResponse('Not found'), 409: errResponse('Not AWAITING_APPROVAL')}},
      },
      '/api/transactions/{id}/reject': {
        post: {summary: 'Reject a transaction held by anti-spam', security: [{apiToken: []}], parameters: [{name: 'id', in: 'path', required: true, schema: {type: 'string'}}], requestBody: {content: {'application/json': {schema: {type: 'object', properties: {reason: {type: 'string'}}}}}}, responses: {200: {description: '{status, transaction}'}, 404: errResponse('Not found'), 409: errResponse('Not AWAITING_APPROVAL')}},
      },
      '/healthz': {get: {summary: 'Liveness', responses: {200: {description: 'OK'}}}},
      '/metrics': {get: {summary: 'Prometheus metrics', responses: {200: {description: 'text/plain exposition format'}}}},
      '/openapi.json': {get: {summary: 'This document', responses: {200: {description: 'OpenAPI 3.1'}}}},
    },
  }
}
