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
            audit: {type: 'array', items: {type: 'object', properties: {at: {type: 'string'}, by: {type: 'string'}, from: {type: ['string', 'null']}, to: {type: 'string'}, why: {type: 'string'}}}},
          },
        },
        Intent: {
          type: 'object',
          properties: {
            id: {type: 'string', pattern: '^pi_'},
            status: {enum: ['pending', 'awaiting_approval', 'paid', 'rejected', 'expired', 'cancelled']},
            amount: {type: 'string', pattern: '^\\d+\\.\\d{2}$'},
            order_id: {type: 'string'},
            pay_to: {type: 'array', items: {type: 'object', properties: {provider: {type: 'string'}, wallet: {type: 'string'}}}},
            checkout_url: {type: 'string'},
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
          requestBody: {required: true, content: {'application/json': {schema: {type: 'object', required: ['sender', 'body'], properties: {sender: {type: 'string'}, body: {type: 'string'}, received_at: {type: 'string', format: 'date-time'}}}}}},
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
      '/api/intents': {
        post: {
          summary: 'Create a payment intent: the order the store expects, paid on the checkout page (contract §6)',
          description: 'The same `order_id` again answers the existing intent (200); another amount for it is `order_conflict` (409).',
          security: [{apiToken: []}],
          requestBody: {required: true, content: {'application/json': {schema: {type: 'object', required: ['amount', 'order_id'], additionalProperties: false, properties: {
            amount: {type: 'string', description: 'EGP, exact decimal string'}, order_id: {type: 'string'}, expires_in_minutes: {type: 'integer', minimum: 1, maximum: 10080, default: 30},
            return_url: {type: 'string', description: 'https (http for development stores); the customer returns here with a signed result'}, metadata: {type: 'object'}, customer_phone: {type: 'string'},
          }}}}},
          responses: {201: {description: 'The new intent', content: {'application/json': {schema: {$ref: '#/components/schemas/Intent'}}}}, 200: {description: 'The order\'s existing intent'}, 400: errResponse('Bad body'), 401: errResponse('Unauthorized'), 409: errResponse('order_conflict, or a WHMCS store (intents_unsupported)')},
        },
        get: {
          summary: 'The intent of `order_id`, or the store\'s intents (newest first)',
          security: [{apiToken: []}],
          parameters: ['order_id', 'status', 'limit'].map((name) => ({name, in: 'query', schema: {type: 'string'}})),
          responses: {200: {description: 'With order_id: the intent; else {status, intents}'}, 401: errResponse('Unauthorized'), 404: errResponse('No intent for that order')},
        },
      },
      '/api/intents/{id}': {
        get: {summary: 'One payment intent', security: [{apiToken: []}], parameters: [{name: 'id', in: 'path', required: true, schema: {type: 'string'}}], responses: {200: {description: 'The intent', content: {'application/json': {schema: {$ref: '#/components/schemas/Intent'}}}}, 404: errResponse('Not found')}},
      },
      '/api/intents/{id}/match': {
        post: {summary: 'An operator pays a pending intent with an unclaimed (PENDING) transfer of the same amount', security: [{apiToken: []}], parameters: [{name: 'id', in: 'path', required: true, schema: {type: 'string'}}], requestBody: {required: true, content: {'application/json': {schema: {type: 'object', required: ['transaction_id'], properties: {transaction_id: {type: 'string'}}}}}}, responses: {200: {description: 'The paid intent'}, 404: errResponse('Not found'), 409: errResponse('Not pending, transfer taken, or amount_mismatch')}},
      },
      '/api/intents/{id}/cancel': {
        post: {summary: 'Cancel a pending intent (its page then says so and takes no claim)', security: [{apiToken: []}], parameters: [{name: 'id', in: 'path', required: true, schema: {type: 'string'}}], responses: {200: {description: 'The cancelled intent'}, 404: errResponse('Not found'), 409: errResponse('No longer pending')}},
      },
      '/pay/{id}': {
        get: {summary: 'The customer\'s checkout page (HTML, Arabic and English; docs/checkout.md)', parameters: [{name: 'id', in: 'path', required: true, schema: {type: 'string'}}, {name: 'lang', in: 'query', schema: {enum: ['ar', 'en']}}, {name: 'embed', in: 'query', schema: {const: '1'}}], responses: {200: {description: 'text/html'}, 404: {description: 'text/html: no such intent'}}},
      },
      '/healthz': {get: {summary: 'Liveness', responses: {200: {description: 'OK'}}}},
      '/metrics': {get: {summary: 'Prometheus metrics', responses: {200: {description: 'text/plain exposition format'}}}},
      '/openapi.json': {get: {summary: 'This document', responses: {200: {description: 'OpenAPI 3.1'}}}},
    },
  }
}
