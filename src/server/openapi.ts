/** The API description served at /openapi.json (contract §2), kept beside the routes. */
const err = {$ref: '#/components/schemas/Error'}
const errResponse = (description: string) => ({description, content: {'application/json': {schema: err}}})
const json = (description: string, ref: string) => ({description, content: {'application/json': {schema: {$ref: `#/components/schemas/${ref}`}}}})
const EVENTS = ['transaction.received', 'transaction.completed', 'transaction.awaiting_approval', 'transaction.rejected', 'transaction.expired']
const idParam = {name: 'id', in: 'path', required: true, schema: {type: 'string'}}
const ingestResponses = {
  201: json('A new receipt: a PENDING transaction was created', 'IngestAnswer'),
  200: json('Already have it (a duplicate)', 'IngestAnswer'),
  202: json('Stored but ignored (not a receipt, or an untrusted sender)', 'IngestAnswer'),
}
const deliveredAnswer = {200: {description: 'Any 2xx: delivered. Anything else (or no answer in 10 s) is retried on a schedule for up to 3 days.'}}

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'vcash',
      version: '1',
      description: 'Verify Vodafone Cash, e& money, InstaPay and Orange Cash transfers from the wallet phone\'s SMS. Errors are `{status:false, code, message}` with a stable `code`.',
      license: {name: 'MIT', identifier: 'MIT'},
    },
    servers: [{url: '/', description: 'This vcash server (the document is served by the server it describes)'}],
    components: {
      securitySchemes: {
        apiToken: {type: 'http', scheme: 'bearer', description: 'The store API token (vk_…)'},
        apiTokenQuery: {type: 'apiKey', in: 'query', name: 'token', description: 'The store API token as `?token=` (the WHMCS module\'s way)'},
        deviceToken: {type: 'http', scheme: 'bearer', description: 'The wallet phone\'s device token (vd_…)'},
        deviceTokenQuery: {type: 'apiKey', in: 'query', name: 'token', description: 'The device token in the webhook URL: forwarder apps use the Authorization header for their own signature'},
        metricsToken: {type: 'http', scheme: 'bearer', description: 'The server\'s --metrics-token (VCASH_METRICS_TOKEN); a direct loopback peer needs none'},
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
            payer_address: {type: ['string', 'null'], description: 'Bank InstaPay credits: the payer\'s InstaPay address'},
            account_last4: {type: ['string', 'null'], description: 'Bank credits: the last digits of the credited account or card'},
            reference: {type: ['string', 'null']},
            balance: {type: ['string', 'null']},
            occurred_at: {type: ['string', 'null'], format: 'date-time'},
            received_at: {type: 'string', format: 'date-time'},
            created_at: {type: 'string', format: 'date-time'},
            updated_at: {type: 'string', format: 'date-time'},
            user_name: {type: ['string', 'null']},
            client_id: {type: ['string', 'null']},
            held_by: {type: 'array', items: {type: 'string'}},
            audit: {type: 'array', items: {type: 'object', properties: {at: {type: 'string'}, by: {type: 'string'}, from: {type: ['string', 'null']}, to: {type: 'string'}, why: {type: 'string'}}}},
          },
        },
        Sms: {
          type: 'object',
          required: ['id', 'store_id', 'sender', 'received_at', 'outcome', 'source'],
          properties: {
            id: {type: 'string'},
            store_id: {type: 'string'},
            sender: {type: 'string'},
            received_at: {type: 'string', format: 'date-time'},
            outcome: {enum: ['receive', 'ignored']},
            reason: {type: ['string', 'null'], description: 'Why it was ignored: untrusted_sender, not_a_receipt, unrecognised_layout, …'},
            transaction_id: {type: ['string', 'null']},
            source: {type: 'string', examples: ['api', 'adb', 'smsgateway', 'httpsms']},
          },
        },
        IngestAnswer: {
          type: 'object',
          required: ['status', 'outcome', 'sms', 'transaction', 'reason'],
          properties: {
            status: {const: true},
            outcome: {enum: ['created', 'duplicate', 'ignored']},
            sms: {$ref: '#/components/schemas/Sms'},
            transaction: {oneOf: [{$ref: '#/components/schemas/Transaction'}, {type: 'null'}]},
            reason: {type: ['string', 'null']},
          },
        },
        TransactionAnswer: {
          type: 'object',
          required: ['status', 'transaction'],
          properties: {status: {const: true}, transaction: {$ref: '#/components/schemas/Transaction'}},
        },
        TransactionPage: {
          type: 'object',
          required: ['status', 'transactions', 'next_cursor'],
          properties: {status: {const: true}, transactions: {type: 'array', items: {$ref: '#/components/schemas/Transaction'}}, next_cursor: {type: ['string', 'null']}},
        },
        Health: {
          type: 'object',
          required: ['status', 'ok'],
          properties: {status: {type: 'boolean'}, ok: {type: 'boolean'}, code: {type: 'string'}, message: {type: 'string'}},
          description: 'Liveness only: no counts (public behind a proxy).',
        },
        WebhookEvent: {
          type: 'object',
          required: ['type', 'timestamp', 'data'],
          properties: {
            type: {enum: EVENTS},
            timestamp: {type: 'string', format: 'date-time'},
            data: {
              allOf: [{$ref: '#/components/schemas/Transaction'}],
              type: 'object',
              properties: {converted_amount: {type: 'string'}, currency_label: {type: 'string'}},
              description: 'The transaction (without its audit trail), with the amount in the store currency',
            },
          },
        },
        Intent: {
          type: 'object',
          required: ['id', 'status', 'amount', 'order_id', 'pay_to', 'checkout_url', 'expires_at'],
          properties: {
            id: {type: 'string', pattern: '^pi_'},
            status: {enum: ['pending', 'awaiting_approval', 'paid', 'rejected', 'expired', 'cancelled']},
            amount: {type: 'string', pattern: '^\\d+\\.\\d{2}$', description: 'EGP, exact decimal'},
            order_id: {type: 'string'},
            pay_to: {type: 'array', items: {type: 'object', properties: {provider: {type: 'string'}, wallet: {type: 'string'}}}},
            checkout_url: {type: 'string', description: 'The customer\'s page: /pay/{id} on this server'},
            expires_at: {type: 'string', format: 'date-time'},
            return_url: {type: ['string', 'null']},
            metadata: {type: ['object', 'null']},
            customer_phone: {type: ['string', 'null']},
            payer_phone: {type: ['string', 'null']},
            payer_reference: {type: ['string', 'null']},
            transaction_id: {type: ['string', 'null']},
            created_at: {type: 'string', format: 'date-time'},
            updated_at: {type: 'string', format: 'date-time'},
          },
        },
        IntentList: {
          type: 'object',
          required: ['status', 'intents'],
          properties: {status: {const: true}, intents: {type: 'array', items: {$ref: '#/components/schemas/Intent'}}},
        },
        IntentEvent: {
          type: 'object',
          required: ['type', 'timestamp', 'data'],
          properties: {
            type: {enum: ['intent.paid', 'intent.expired']},
            timestamp: {type: 'string', format: 'date-time'},
            data: {type: 'object', description: 'id, store_id, status, amount, order_id, metadata, expires_at, transaction_id, payer_phone, reference, provider, created_at, updated_at (docs/checkout.md)'},
          },
        },
        WhmcsAddCredit: {
          type: 'object',
          required: ['action', 'identifier', 'secret', 'clientid', 'description', 'amount', 'responsetype'],
          properties: {
            action: {const: 'AddCredit'},
            identifier: {type: 'string'},
            secret: {type: 'string'},
            clientid: {type: 'string'},
            description: {type: 'string', examples: ['VodafoneCash payment - trans_id: tx_123']},
            amount: {type: 'string'},
            responsetype: {const: 'json'},
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
          operationId: 'checkPayment',
          summary: 'Match a customer\'s claim (phone + amount) to a PENDING transfer',
          description: 'HTTP 200 for every business outcome; `status: true` only on a confirmed payment. Compatible with the VodafoneCash WHMCS module. The API token is needed only when the store requires one (Bearer or `token` query). Failed checks are limited per store and caller (IPv4 address, IPv6 /64).',
          security: [{}, {apiToken: []}, {apiTokenQuery: []}],
          parameters: [
            {name: 'phone', in: 'query', schema: {type: 'string'}, description: 'The payer\'s wallet phone; required unless `reference`, `payer_name` or `payer_address` is given'},
            {name: 'reference', in: 'query', schema: {type: 'string'}, description: 'The wallet reference from the receipt: claims transfers whose SMS has no payer phone (Orange Cash, InstaPay to a bank, remittances)'},
            {name: 'payer_name', in: 'query', schema: {type: 'string', maxLength: 200}, description: 'Bank InstaPay credits (no payer phone): the payer\'s name as the bank wrote it. Every word of the shorter name must be in the longer; a first name alone never matches; two matching credits wait for the operator'},
            {name: 'payer_address', in: 'query', schema: {type: 'string', maxLength: 80}, description: 'Bank InstaPay credits: the payer\'s InstaPay address (name@instapay; the suffix may be left out)'},
            {name: 'amount', in: 'query', required: true, schema: {type: 'string'}, description: 'EGP, e.g. 100, 100.5, 1,000.50'},
            {name: 'store_id', in: 'query', required: true, schema: {type: 'string'}},
            {name: 'user_name', in: 'query', schema: {type: 'string'}},
            {name: 'client_id', in: 'query', schema: {type: 'string'}},
            {name: 'order_id', in: 'query', schema: {type: 'string'}, description: 'The caller\'s idempotency key: the same order_id repeated gets the same answer'},
            {name: 'lang', in: 'query', schema: {enum: ['en', 'ar']}},
          ],
          responses: {
            200: json('The outcome', 'CheckAnswer'),
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
          operationId: 'getStoreRate',
          summary: 'The store\'s currency rate (public, CORS open)',
          security: [],
          parameters: [{name: 'storeId', in: 'path', required: true, schema: {type: 'string'}}],
          responses: {
            200: {description: 'Rate', content: {'application/json': {schema: {type: 'object', required: ['status', 'rate', 'currency_label'], properties: {status: {const: true}, rate: {type: 'string'}, currency_label: {type: 'string'}}}}}},
            404: errResponse('Unknown store'),
          },
        },
      },
      '/api/sms': {
        post: {
          operationId: 'ingestSms',
          summary: 'Ingest one received SMS (from the wallet phone)',
          security: [{deviceToken: []}],
          requestBody: {required: true, content: {'application/json': {schema: {type: 'object', required: ['sender', 'body'], additionalProperties: false, properties: {sender: {type: 'string', maxLength: 64}, body: {type: 'string', maxLength: 10000}, received_at: {type: ['string', 'null'], format: 'date-time'}}}}}},
          responses: {
            ...ingestResponses,
            400: errResponse('Bad body'),
            401: errResponse('Missing or wrong device token'),
            413: errResponse('Body too large'),
            415: errResponse('Not JSON'),
            503: errResponse('Storage unavailable; retry after Retry-After'),
          },
        },
      },
      '/api/sms/smsgateway': {
        post: {
          operationId: 'ingestSmsGateway',
          summary: 'SMS Gateway for Android webhook (event sms:received)',
          description: 'Signed by the app: `X-Signature` is the hex HMAC-SHA256 of the raw body followed by `X-Timestamp`, under the signing key set with `vcash store set --forwarder-signing-key`; the timestamp must be within 5 minutes.',
          security: [{deviceTokenQuery: []}],
          parameters: [
            {name: 'X-Signature', in: 'header', required: true, schema: {type: 'string', pattern: '^[0-9a-fA-F]{64}$'}},
            {name: 'X-Timestamp', in: 'header', required: true, schema: {type: 'string', pattern: '^\\d{1,12}$'}, description: 'Unix seconds'},
          ],
          requestBody: {required: true, content: {'application/json': {schema: {
            type: 'object',
            required: ['event', 'payload'],
            properties: {
              deviceId: {type: 'string'},
              event: {const: 'sms:received'},
              id: {type: 'string'},
              webhookId: {type: 'string'},
              payload: {type: 'object', required: ['message', 'phoneNumber'], properties: {messageId: {type: 'string'}, message: {type: 'string'}, phoneNumber: {type: 'string', description: 'The SMS sender'}, simNumber: {type: ['integer', 'null']}, receivedAt: {type: 'string', format: 'date-time'}}},
            },
          }}}},
          responses: {
            ...ingestResponses,
            400: errResponse('Not an sms:received event, or encrypted'),
            401: errResponse('Wrong device token or signature'),
            409: errResponse('The store has no forwarder signing key'),
            413: errResponse('Body too large'),
          },
        },
      },
      '/api/sms/httpsms': {
        post: {
          operationId: 'ingestHttpSms',
          summary: 'httpSMS webhook (event message.phone.received, a CloudEvents envelope)',
          description: 'When the store has a forwarder signing key, `Authorization: Bearer` must be httpSMS\'s HS256 JWT under that key: issuer `api.httpsms.com`, audience the webhook URL as configured in httpSMS (this request\'s URL; behind a trusted proxy, its X-Forwarded-Proto and X-Forwarded-Host).',
          security: [{deviceTokenQuery: []}],
          parameters: [
            {name: 'Authorization', in: 'header', schema: {type: 'string', pattern: '^Bearer '}, description: 'httpSMS\'s webhook JWT (required when the store has a signing key)'},
            {name: 'X-Event-Type', in: 'header', schema: {const: 'message.phone.received'}},
          ],
          requestBody: {required: true, content: {'application/json': {schema: {
            type: 'object',
            required: ['type', 'data'],
            properties: {
              specversion: {const: '1.0'},
              id: {type: 'string'},
              source: {type: 'string'},
              type: {const: 'message.phone.received'},
              time: {type: 'string', format: 'date-time'},
              data: {type: 'object', required: ['contact', 'content'], properties: {message_id: {type: 'string'}, user_id: {type: 'string'}, owner: {type: 'string'}, contact: {type: 'string', description: 'The SMS sender'}, content: {type: 'string'}, timestamp: {type: 'string', format: 'date-time'}, sim: {type: 'string'}, encrypted: {type: 'boolean'}}},
            },
          }}}},
          responses: {
            ...ingestResponses,
            400: errResponse('Not message.phone.received, or encrypted'),
            401: errResponse('Wrong device token, or the JWT does not verify (key, expiry, issuer, audience)'),
            413: errResponse('Body too large'),
          },
        },
      },
      '/api/transactions': {
        get: {
          operationId: 'listTransactions',
          summary: 'List the store\'s transactions (newest first)',
          security: [{apiToken: []}],
          parameters: [
            {name: 'status', in: 'query', schema: {enum: ['PENDING', 'COMPLETED', 'AWAITING_APPROVAL', 'REJECTED', 'EXPIRED']}},
            {name: 'since', in: 'query', schema: {type: 'string', format: 'date-time'}},
            {name: 'until', in: 'query', schema: {type: 'string', format: 'date-time'}},
            {name: 'phone', in: 'query', schema: {type: 'string'}},
            {name: 'limit', in: 'query', schema: {type: 'integer', minimum: 1, maximum: 500}},
            {name: 'cursor', in: 'query', schema: {type: 'string'}},
          ],
          responses: {200: json('A page of transactions', 'TransactionPage'), 400: errResponse('Bad filter'), 401: errResponse('Unauthorized')},
        },
      },
      '/api/transactions/{id}': {
        get: {
          operationId: 'getTransaction',
          summary: 'One transaction (server-to-server revalidation)',
          security: [{apiToken: []}],
          parameters: [idParam],
          responses: {200: json('The transaction', 'TransactionAnswer'), 401: errResponse('Unauthorized'), 404: errResponse('Not found')},
        },
      },
      '/api/transactions/{id}/approve': {
        post: {operationId: 'approveTransaction', summary: 'Approve a transaction held by anti-spam (completes it, notifies the merchant)', security: [{apiToken: []}], parameters: [idParam], responses: {200: json('The approved transaction', 'TransactionAnswer'), 401: errResponse('Unauthorized'), 404: errResponse('Not found'), 409: errResponse('Not AWAITING_APPROVAL')}},
      },
      '/api/transactions/{id}/reject': {
        post: {operationId: 'rejectTransaction', summary: 'Reject a transaction held by anti-spam', security: [{apiToken: []}], parameters: [idParam], requestBody: {content: {'application/json': {schema: {type: 'object', properties: {reason: {type: 'string', maxLength: 500}}}}}}, responses: {200: json('The rejected transaction', 'TransactionAnswer'), 400: errResponse('Bad body'), 401: errResponse('Unauthorized'), 404: errResponse('Not found'), 409: errResponse('Not AWAITING_APPROVAL')}},
      },
      '/api/transactions/{id}/match': {
        post: {operationId: 'matchTransaction', summary: 'Complete a PENDING transfer for a named customer by hand (an operator\'s match)', security: [{apiToken: []}], parameters: [idParam], requestBody: {content: {'application/json': {schema: {type: 'object', additionalProperties: false, properties: {user_name: {type: 'string'}, client_id: {type: 'string', pattern: '^\\d{1,10}$'}, order_id: {type: 'string'}}}}}}, responses: {200: json('The completed transaction', 'TransactionAnswer'), 400: errResponse('Bad body'), 401: errResponse('Unauthorized'), 404: errResponse('Not found'), 409: errResponse('Not PENDING')}},
      },
      '/api/intents': {
        post: {
          operationId: 'createIntent',
          summary: 'Create a payment intent: the order the store expects, paid on the checkout page (contract §6)',
          description: 'The same `order_id` again answers the existing intent (200); another amount for it is `order_conflict` (409). A WHMCS store cannot create intents (409 `intents_unsupported`).',
          security: [{apiToken: []}],
          requestBody: {required: true, content: {'application/json': {schema: {type: 'object', required: ['amount', 'order_id'], additionalProperties: false, properties: {
            amount: {type: 'string', description: 'EGP, exact decimal string'}, order_id: {type: 'string', maxLength: 128}, expires_in_minutes: {type: 'integer', minimum: 1, maximum: 10080, default: 30},
            return_url: {type: 'string', description: 'https (http for development stores): the customer returns here with a signed result'}, metadata: {type: 'object'}, customer_phone: {type: 'string'},
          }}}}},
          responses: {201: json('The new intent', 'Intent'), 200: json('The order\'s existing intent', 'Intent'), 400: errResponse('Bad body'), 401: errResponse('Unauthorized'), 409: errResponse('order_conflict or intents_unsupported')},
        },
        get: {
          operationId: 'findIntents',
          summary: 'The intent of `order_id` (the intent itself), or else the store\'s intents, newest first',
          security: [{apiToken: []}],
          parameters: [{name: 'order_id', in: 'query', schema: {type: 'string'}}, {name: 'status', in: 'query', schema: {enum: ['pending', 'awaiting_approval', 'paid', 'rejected', 'expired', 'cancelled']}}, {name: 'limit', in: 'query', schema: {type: 'integer', minimum: 1, maximum: 500}}],
          responses: {200: json('With order_id: an Intent; without: an IntentList', 'IntentList'), 400: errResponse('Bad filter'), 401: errResponse('Unauthorized'), 404: errResponse('No intent for that order')},
        },
      },
      '/api/intents/{id}': {
        get: {operationId: 'getIntent', summary: 'One payment intent', security: [{apiToken: []}], parameters: [idParam], responses: {200: json('The intent', 'Intent'), 401: errResponse('Unauthorized'), 404: errResponse('Not found')}},
      },
      '/api/intents/{id}/cancel': {
        post: {operationId: 'cancelIntent', summary: 'Cancel a pending intent (its page then says so and takes no claim)', security: [{apiToken: []}], parameters: [idParam], responses: {200: json('The cancelled intent', 'Intent'), 401: errResponse('Unauthorized'), 404: errResponse('Not found'), 409: errResponse('No longer pending')}},
      },
      '/api/intents/{id}/match': {
        post: {operationId: 'matchIntent', summary: 'An operator pays a pending intent with an unclaimed (PENDING) transfer of the same amount', security: [{apiToken: []}], parameters: [idParam], requestBody: {required: true, content: {'application/json': {schema: {type: 'object', required: ['transaction_id'], additionalProperties: false, properties: {transaction_id: {type: 'string'}}}}}}, responses: {200: json('The paid intent', 'Intent'), 400: errResponse('Bad body'), 401: errResponse('Unauthorized'), 404: errResponse('Not found'), 409: errResponse('Not pending, the transfer taken, or amount_mismatch')}},
      },
      '/pay/{id}': {
        get: {
          operationId: 'checkoutPage',
          summary: 'The customer\'s checkout page (HTML, Arabic and English; docs/checkout.md)',
          security: [],
          parameters: [idParam, {name: 'lang', in: 'query', schema: {enum: ['ar', 'en']}}, {name: 'embed', in: 'query', schema: {const: '1'}}],
          responses: {200: {description: 'The page', content: {'text/html': {schema: {type: 'string'}}}}, 404: {description: 'No such intent (an HTML page)', content: {'text/html': {schema: {type: 'string'}}}}},
        },
      },
      '/healthz': {
        get: {
          operationId: 'health',
          summary: 'Liveness: the ledger reads and writes (no counts)',
          security: [],
          responses: {200: json('OK', 'Health'), 404: errResponse('Not this server (a proxy in front answers)'), 503: json('Storage unavailable', 'Health')},
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics (a direct loopback peer, or the metrics token)',
          security: [{}, {metricsToken: []}],
          responses: {
            200: {description: 'Prometheus text exposition format', content: {'text/plain': {schema: {type: 'string'}}}},
            401: errResponse('The server has a metrics token and it was missing or wrong'),
            404: errResponse('Not a direct loopback peer and no metrics token configured'),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openApi',
          summary: 'This document',
          security: [],
          responses: {200: {description: 'OpenAPI 3.1', content: {'application/json': {schema: {type: 'object'}}}}, 404: errResponse('Not this server')},
        },
      },
    },
    // What vcash sends to the merchant (contract §5), by the store's callback kind.
    webhooks: {
      standardWebhook: {
        post: {
          operationId: 'onTransactionEvent',
          summary: 'Webhook callback: every transaction event, Standard Webhooks signed',
          description: 'Headers `webhook-id` (the same on every retry: dedupe on it), `webhook-timestamp`, `webhook-signature` (v1, HMAC-SHA256 under the store signing secret, whsec_…).',
          security: [],
          parameters: [
            {name: 'webhook-id', in: 'header', required: true, schema: {type: 'string'}},
            {name: 'webhook-timestamp', in: 'header', required: true, schema: {type: 'string'}},
            {name: 'webhook-signature', in: 'header', required: true, schema: {type: 'string'}},
          ],
          requestBody: {required: true, content: {'application/json': {schema: {$ref: '#/components/schemas/WebhookEvent'}}}},
          responses: {...deliveredAnswer, 400: {description: 'Not accepted: retried'}},
        },
      },
      intentWebhook: {
        post: {
          operationId: 'onIntentEvent',
          summary: 'Webhook callback: intent.paid and intent.expired, Standard Webhooks signed like every webhook',
          security: [],
          parameters: [
            {name: 'webhook-id', in: 'header', required: true, schema: {type: 'string'}},
            {name: 'webhook-timestamp', in: 'header', required: true, schema: {type: 'string'}},
            {name: 'webhook-signature', in: 'header', required: true, schema: {type: 'string'}},
          ],
          requestBody: {required: true, content: {'application/json': {schema: {$ref: '#/components/schemas/IntentEvent'}}}},
          responses: {...deliveredAnswer, 400: {description: 'Not accepted: retried'}},
        },
      },
      getCallback: {
        get: {
          operationId: 'onTransactionCompletedGet',
          summary: 'GET callback: transaction.completed as a signed query string',
          description: '`signature` is the hex HMAC-SHA256 of the query string before `&signature=` under the store signing secret; `event_id` is the same on every retry.',
          security: [],
          parameters: [
            ...['trans_id', 'amount', 'converted_amount', 'currency_label', 'phone', 'user_name', 'store_id', 'status', 'provider', 'reference', 'timestamp', 'event_id', 'signature'].map((name) => ({name, in: 'query', required: true, schema: {type: 'string'}})),
            // A transfer that paid a checkout page's intent says which (docs/checkout.md).
            ...['intent_id', 'order_id'].map((name) => ({name, in: 'query', required: false, schema: {type: 'string'}, description: 'Only for a transfer that paid a payment intent'})),
          ],
          responses: {...deliveredAnswer, 400: {description: 'Not accepted: retried'}},
        },
      },
      whmcsAddCredit: {
        post: {
          operationId: 'whmcsAddCredit',
          summary: 'WHMCS store: AddCredit to the client, at most once per transaction',
          description: 'Posted to `<WHMCS URL>/includes/api.php`; WHMCS\'s JSON `result: success` confirms the credit.',
          security: [],
          requestBody: {required: true, content: {'application/x-www-form-urlencoded': {schema: {$ref: '#/components/schemas/WhmcsAddCredit'}}}},
          responses: {...deliveredAnswer, 403: {description: 'A WHMCS API permission or IP problem: reported, not retried blindly'}},
        },
      },
    },
  }
}
