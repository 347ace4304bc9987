/** Short, human messages for the customer (the WHMCS module shows them as they are). */
export type Lang = 'en' | 'ar'

const MESSAGES = {
  completed: {en: 'Payment confirmed. Thank you!', ar: 'تم تأكيد الدفع. شكراً لك!'},
  not_found: {en: 'No matching transfer found yet. Check the phone number and amount, or try again in a minute.', ar: 'لم نجد تحويلاً مطابقاً بعد. تأكد من رقم الهاتف والمبلغ أو حاول بعد دقيقة.'},
  awaiting_approval: {en: 'Transfer found. It is being reviewed and will be confirmed shortly.', ar: 'تم العثور على التحويل وهو قيد المراجعة وسيتم تأكيده قريباً.'},
  rejected: {en: 'This transfer was rejected. Please contact the store.', ar: 'تم رفض هذا التحويل. برجاء التواصل مع المتجر.'},
  already_confirmed: {en: 'This transfer was already confirmed for your account.', ar: 'تم تأكيد هذا التحويل لحسابك من قبل.'},
  credit_pending: {en: 'Transfer found. Your balance is being credited; check again in a minute.', ar: 'تم العثور على التحويل وجارٍ إضافة الرصيد لحسابك؛ حاول مرة أخرى بعد دقيقة.'},
  already_used: {en: 'This transfer was already used for another payment.', ar: 'تم استخدام هذا التحويل في عملية دفع أخرى.'},
  rate_limited: {en: 'Too many attempts. Please wait a few minutes and try again.', ar: 'محاولات كثيرة. برجاء الانتظار بضع دقائق ثم المحاولة مرة أخرى.'},
  invalid_input: {en: 'Please check the phone number and amount.', ar: 'برجاء التأكد من رقم الهاتف والمبلغ.'},
  unauthorized: {en: 'This store is not configured for this request.', ar: 'المتجر غير مهيأ لهذا الطلب.'},
  store_not_found: {en: 'Unknown store.', ar: 'متجر غير معروف.'},
  forbidden_ip: {en: 'This request is not allowed from your server address.', ar: 'هذا الطلب غير مسموح من عنوان الخادم الخاص بك.'},
} as const

export type MessageKey = keyof typeof MESSAGES

export function message(key: MessageKey, lang: Lang): string {
  return MESSAGES[key][lang]
}

export function parseLang(input: unknown): Lang {
  return typeof input === 'string' && input.toLowerCase().startsWith('ar') ? 'ar' : 'en'
}
