import {describe, expect, it} from 'vitest'

import {classifySender} from '../../src/sms/senders.js'
import type {ParsedReceipt} from '../../src/sms/types.js'
import {parse, receipt, toArabicIndic} from './sms-helpers.js'

const NO_PAYER = {senderName: null, payerAddress: null}

// ---- Every layout in sms-formats.md ("Bank credits"), and the variants described in words ----

interface Layout {
  label: string
  sender: string
  body: string
  expected: Partial<ParsedReceipt>
}

const LAYOUTS: Layout[] = [
  {
    label: 'NBE-R1 spec sample, Latin name',
    sender: 'BanK-AlAhly',
    body: 'تم إضافة تحويل لحظي لحسابكم رقم 0130 بمبلغ 100.00 جم من SAMPLE MOHAMED TESTER رقم مرجعي 990470670167 يوم 04-14 الساعة 09:19 للمزيد اتصل بـ 19623',
    expected: {template: 'NBE-R1', amount: 10000, senderName: 'SAMPLE MOHAMED TESTER', payerAddress: null, accountLast4: '0130', reference: '990470670167', balance: null, occurredAt: null},
  },
  {
    label: 'NBE-R1 Arabic-script name, comma thousands',
    sender: 'NBE',
    body: 'تم إضافة تحويل لحظي لحسابكم رقم 7788 بمبلغ 2,350.50 جم من محمود عبد الرحمن السيد رقم مرجعي 000123456789 يوم 11-02 الساعة 22:05 للمزيد اتصل بـ 19623',
    expected: {template: 'NBE-R1', amount: 235050, senderName: 'محمود عبد الرحمن السيد', accountLast4: '7788', reference: '000123456789'},
  },
  {
    label: 'NBE-R1 with a line break inside the date and time',
    sender: 'BanK-AlAhly',
    body: 'تم إضافة تحويل لحظي لحسابكم رقم 0130 بمبلغ 250.00 جم من SAMY ALI SAMPLE رقم مرجعي 990470670199 يوم 04-14\n الساعة 09:19 للمزيد اتصل بـ 19623',
    expected: {template: 'NBE-R1', amount: 25000, senderName: 'SAMY ALI SAMPLE', accountLast4: '0130', reference: '990470670199', occurredAt: null},
  },
  {
    label: 'NBE-R2 prepaid card, no card digits',
    sender: 'BanK-AlAhly',
    body: 'تم إضافة تحويل لحظي لبطاقتكم مسبقة الدفع بمبلغ 400.00 جم من أحمد محمد رقم مرجعي 500000000123 يوم 07-23 الساعة 19:43 للمزيد اتصل بـ ١٩٦٢٣',
    expected: {template: 'NBE-R2', amount: 40000, senderName: 'أحمد محمد', accountLast4: null, reference: '500000000123', occurredAt: null},
  },
  {
    label: 'NBE-R2 from the 19623 short code',
    sender: '19623',
    body: 'تم إضافة تحويل لحظي لبطاقتكم مسبقة الدفع بمبلغ 75.00 جم من MONA SAMPLE رقم مرجعي 500000000124 يوم 07-23 الساعة 19:50 للمزيد اتصل بـ 19623',
    expected: {template: 'NBE-R2', amount: 7500, senderName: 'MONA SAMPLE', reference: '500000000124'},
  },
  {
    label: 'CIB-R1 spec sample, name cut mid-word',
    sender: 'CIB',
    body: 'يرجى العلم انه تم تنفيذ تحويل لحظي بمبلغ 5.00 جم إلى حسابك المنتهي بـ ********6286 من SAMPLED AMIN MOHAMED AB برقم مرجعي 6b2d1e88 بتاريخ 30-04-2026 14:52 للمزيد، برجاء الاتصال بـ 19666',
    expected: {template: 'CIB-R1', amount: 500, senderName: 'SAMPLED AMIN MOHAMED AB', accountLast4: '6286', reference: '6b2d1e88', occurredAt: '2026-04-30T14:52:00+03:00'},
  },
  {
    label: 'CIB-R1 Arabic name cut on a dangling «ابو», an all-letter hex reference',
    sender: 'CIB',
    body: 'يرجى العلم انه تم تنفيذ تحويل لحظي بمبلغ 1,200.00 جم إلى حسابك المنتهي بـ ********0042 من محمد عبد الله ابو برقم مرجعي abcdefab بتاريخ 02-01-2026 09:05 للمزيد، برجاء الاتصال بـ 19666',
    expected: {template: 'CIB-R1', amount: 120000, senderName: 'محمد عبد الله ابو', accountLast4: '0042', reference: 'abcdefab', occurredAt: '2026-01-02T09:05:00+02:00'},
  },
  {
    label: 'CIB-R1 September 2026: mask after the digits, ISO date, line breaks before «من» and «للمزيد»',
    sender: 'CIB',
    body: 'يرجى العلم انه تم تنفيذ تحويل لحظي بمبلغ 350.00 جم إلى حسابك المنتهي بـ 6286********\nمن MOHAMED SAMIR SAMPLE برقم مرجعي 77812345 بتاريخ 2026-09-30 14:52\nللمزيد، برجاء الاتصال بـ 19666',
    expected: {template: 'CIB-R1', amount: 35000, senderName: 'MOHAMED SAMIR SAMPLE', accountLast4: '6286', reference: '77812345', occurredAt: '2026-09-30T14:52:00+03:00'},
  },
  {
    label: 'CIB-R2 English, no thousands separator above 1,000, no period after the reference',
    sender: 'CIB',
    body: 'Kindly note your account ********4455 was credited with IPN Inward with amount EGP 12500.00 on 05-10-2026 at 09:41 from MOHAMED ABDELRAHMAN with reference 9f3e2a1b For more information, please contact 19666.',
    expected: {template: 'CIB-R2', amount: 1250000, senderName: 'MOHAMED ABDELRAHMAN', accountLast4: '4455', reference: '9f3e2a1b', occurredAt: '2026-10-05T09:41:00+03:00'},
  },
  {
    label: 'BM-R1 Meeza card: bare integer, no currency, reference glued to «يوم», «الساعه», trailing space',
    sender: 'Banque Misr',
    body: 'تم إضافة تحويل لحظي الي بطاقة رقم 507803******1234 بمبلغ 500 من محمد احمد سامي رقم مرجعي 123456789012يوم 2026-07-05 الساعه 14:22 للمزيد اتصل علي 19888 ',
    expected: {template: 'BM-R1', amount: 50000, senderName: 'محمد احمد سامي', accountLast4: '1234', reference: '123456789012', occurredAt: '2026-07-05T14:22:00+03:00'},
  },
  {
    label: 'BM-R1 with decimals, from BankMisr',
    sender: 'BankMisr',
    body: 'تم إضافة تحويل لحظي الي بطاقة رقم 507812******9876 بمبلغ 99.50 من SARA SAMPLE رقم مرجعي 223456789012يوم 2026-01-15 الساعه 08:02 للمزيد اتصل علي 19888 ',
    expected: {template: 'BM-R1', amount: 9950, senderName: 'SARA SAMPLE', accountLast4: '9876', reference: '223456789012', occurredAt: '2026-01-15T08:02:00+02:00'},
  },
  {
    label: 'BM-R2 account credit: amount glued to EGP, padded fields, no payer, no reference, no time',
    sender: 'Banque Misr',
    body: 'تم اضافة مبلغ 500EGP       الى حساب رقم xxx1234     فى 05-JUL-2026  عن طريق التحويل اللحظي',
    expected: {template: 'BM-R2', amount: 50000, ...NO_PAYER, accountLast4: '1234', reference: null, balance: null, occurredAt: null},
  },
  {
    label: 'BM-R2 with other padding and month',
    sender: 'BM',
    body: 'تم اضافة مبلغ 12000EGP   الى حساب رقم xxx0077 فى 21-AUG-2026  عن طريق التحويل اللحظي',
    expected: {template: 'BM-R2', amount: 1200000, accountLast4: '0077', reference: null},
  },
  {
    label: 'HSBC-R1 spec sample, InstaPay address',
    sender: 'HSBC',
    body: 'Your HSBC Account ********6203 was credited with IPN inward transfer for EGP 1,080.00 on 03-05-2026 17:06 from samysample29@instapay with reference 208ad9e4. For further details, please contact HSBC call centre',
    expected: {template: 'HSBC-R1', amount: 108000, senderName: null, payerAddress: 'samysample29@instapay', accountLast4: '6203', reference: '208ad9e4', occurredAt: '2026-05-03T17:06:00+03:00'},
  },
  {
    label: 'HSBC-R1 the same address without the @',
    sender: 'HSBC',
    body: 'Your HSBC Account ********6203 was credited with IPN inward transfer for EGP 1,080.00 on 03-05-2026 17:07 from samysample29instapay with reference 308ad9e4. For further details, please contact HSBC call centre',
    expected: {template: 'HSBC-R1', senderName: null, payerAddress: 'samysample29@instapay', reference: '308ad9e4'},
  },
  {
    label: 'HSBC-R1 a full name in Latin capitals',
    sender: 'HSBC',
    body: 'Your HSBC Account ********6203 was credited with IPN inward transfer for EGP 15,250.75 on 03-05-2026 17:06 from AHMED SAMIR MOHAMED SAMPLE with reference 108ad9e4. For further details, please contact HSBC call centre',
    expected: {template: 'HSBC-R1', amount: 1525075, senderName: 'AHMED SAMIR MOHAMED SAMPLE', payerAddress: null, reference: '108ad9e4'},
  },
  {
    label: 'QNB-R1: account between two «on», day/month without a year, 12-hour time, no payer',
    sender: 'QNB',
    body: 'IPN transfer received with amount of EGP 250.00 on 1234 on 14/05 at 10:22 PM. Ref# 1a2b3c4d. For more details call 19700',
    expected: {template: 'QNB-R1', amount: 25000, ...NO_PAYER, accountLast4: '1234', reference: '1a2b3c4d', occurredAt: null},
  },
  {
    label: 'MQ-R1 spec sample, Arabic name',
    sender: 'Mashreq-EGY',
    body: 'لقد استقبلت تحويل لحظي على  0540 بمبلغ 5,000.00 جم عبر IPN من احمد سمير محمد مثال يوم  28-02-2026 الساعة  16:50 رقم المعاملة 9def186b للمساعدة www.mashreq.com/mashreqipn',
    expected: {template: 'MQ-R1', amount: 500000, senderName: 'احمد سمير محمد مثال', accountLast4: '0540', reference: '9def186b', occurredAt: '2026-02-28T16:50:00+02:00'},
  },
  {
    label: 'MQ-R1 Latin name cut at 20 characters',
    sender: 'Mashreq NEO',
    body: 'لقد استقبلت تحويل لحظي على  0540 بمبلغ 7,000.00 جم عبر IPN من EMAD RAGAB SAMPLE TA يوم  02-09-2026 الساعة  00:19 رقم المعاملة c12a257e للمساعدة www.mashreq.com/mashreqipn',
    expected: {template: 'MQ-R1', amount: 700000, senderName: 'EMAD RAGAB SAMPLE TA', reference: 'c12a257e', occurredAt: '2026-09-02T00:19:00+03:00'},
  },
  {
    label: 'ADIB-R1: currency after the amount, full account number, seconds and PM, the new balance',
    sender: 'ADIB',
    body: 'عميلنا العزيز, نوجه عناية سيادتكم أنه تم إضافة 1,500.00 EGP الى حسابك رقم 100012345678 فى 05/07/2026 03:15:20 PM علما بأن رصيدكم الحالى 12,345.67 شكرا لاختيارك ADIB',
    expected: {template: 'ADIB-R1', amount: 150000, ...NO_PAYER, accountLast4: '5678', reference: null, balance: 1234567, occurredAt: '2026-07-05T15:15:20+03:00'},
  },
]

describe('bank credit layouts', () => {
  it.each(LAYOUTS)('$label', ({sender, body, expected}) => {
    expect(receipt(sender, body)).toMatchObject({kind: 'receive', provider: 'instapay', senderPhone: null, ...expected})
  })

  const variants: [string, (s: string) => string][] = [
    ['Arabic-Indic digits', toArabicIndic],
    ['line breaks flattened', (s) => s.replace(/\n/g, ' ')],
    ['spaces doubled', (s) => s.replace(/ /g, '  ')],
    ['invisible marks after every space', (s) => s.replace(/ /g, ' \u200f')],
    ['CRLF and NBSP', (s) => s.replace(/\n/g, '\r\n').replace(/ (?=\d)/g, '\u00a0')],
  ]
  for (const [name, change] of variants) {
    it.each(LAYOUTS)(`$label — ${name}`, ({sender, body}) => {
      expect(parse(sender, change(body))).toEqual(parse(sender, body))
    })
  }

  it.each([
    ['جم', 10000],
    ['ج.م', 10000],
    ['جنيه', 10000],
    ['EGP', 10000],
    ['LE', 10000],
    ['', 10000],
  ])('NBE-R1 with currency %j', (currency, piastres) => {
    const body = `تم إضافة تحويل لحظي لحسابكم رقم 0130 بمبلغ 100.00 ${currency} من SAMPLE TESTER رقم مرجعي 990470670167 يوم 04-14 الساعة 09:19`
    expect(receipt('BanK-AlAhly', body).amount).toBe(piastres)
  })

  it.each([
    ['EGP100.00', 10000],
    ['100.00EGP', 10000],
    ['EGP 1,234,567.89', 123456789],
    ['12345.6', 1234560],
    ['٣٬٥٠٠٫٢٥', 350025],
  ])('an amount written %j', (amount, piastres) => {
    const body = `تم إضافة تحويل لحظي لحسابكم رقم 0130 بمبلغ ${amount} من SAMPLE TESTER رقم مرجعي 990470670167 يوم 04-14 الساعة 09:19`
    expect(receipt('BanK-AlAhly', body).amount).toBe(piastres)
  })

  it('zero and three-decimal amounts are not read', () => {
    for (const bad of ['0.00', '1.234']) {
      expect(parse('BanK-AlAhly', `تم إضافة تحويل لحظي لحسابكم رقم 0130 بمبلغ ${bad} جم من SAMPLE رقم مرجعي 990470670167`).kind).toBe('ignored')
    }
  })
})

describe('variants the looser bank fallbacks read', () => {
  it.each([
    ['an extra word after «تحويل لحظي»', 'BanK-AlAhly', 'تم إضافة تحويل لحظي وارد لحسابكم رقم 0130 بمبلغ 100.00 جم من SAMPLE TESTER رقم مرجعي 990470670167 يوم 04-14 الساعة 09:19', {template: 'BANK-IPN-AR', accountLast4: '0130', senderName: 'SAMPLE TESTER'}],
    ['«عبر انستاباي» before the account', 'Mashreq-EGY', 'لقد استقبلت تحويل لحظي عبر انستاباي على حسابك رقم 0540 بمبلغ 300.00 جم من MONA SAMPLE يوم 28-02-2026 الساعة 16:50 رقم المعاملة 9def186c', {template: 'BANK-IPN-AR', accountLast4: '0540', senderName: 'MONA SAMPLE'}],
    ['account after the amount, other opening', 'CIB', 'تم استلام تحويل لحظي بمبلغ 40.00 جم إلى حسابك رقم 1234 من SAMY SAMPLE برقم مرجعي 6b2d1e89', {template: 'BANK-IPN-AR-AFTER', accountLast4: '1234', senderName: 'SAMY SAMPLE'}],
    ['English "credited with … via InstaPay"', 'CIB', 'Your account **4521 was credited with EGP 1,275.50 via InstaPay from AHMED SAMPLE on 08/10 21:14. Ref 556677123456', {template: 'BANK-IPN-EN', amount: 127550, accountLast4: '4521', senderName: 'AHMED SAMPLE'}],
    ['English "You have received"', 'QNB', 'You have received EGP 100.00 via InstaPay from AHMED SAMPLE. Ref 123456789012', {template: 'BANK-IPN-EN-RECEIVED', amount: 10000, senderName: 'AHMED SAMPLE'}],
    ['English amount first', 'HSBC', 'EGP 250.00 has been credited to your account ending 9876 via IPN from MONA SAMPLE. Ref 1a2b3c4d', {template: 'BANK-IPN-EN-AMOUNT-FIRST', amount: 25000, accountLast4: '9876', senderName: 'MONA SAMPLE'}],
    ['«جنيه مصري» and a greeting first', 'NBE', 'عزيزي العميل تم إضافة تحويل لحظي لحسابكم رقم 0130 بمبلغ 100.00 جنيه مصري من SAMPLE TESTER رقم مرجعي 990470670167', {template: 'NBE-R1', amount: 10000, senderName: 'SAMPLE TESTER'}],
    ['a fee notice after the credit («لا يتم خصم اي رسوم»)', 'CIB', 'يرجى العلم انه تم تنفيذ تحويل لحظي بمبلغ 5.00 جم إلى حسابك المنتهي بـ ********6286 من SAMY SAMPLE برقم مرجعي 6b2d1e88 بتاريخ 30-04-2026 14:52 لا يتم خصم اي رسوم', {template: 'CIB-R1', amount: 500, senderName: 'SAMY SAMPLE'}],
    ['an account credit naming the payer after the InstaPay words', 'BanK-AlAhly', 'تم إضافة مبلغ 500.00 جم إلى حسابكم رقم 1234 من خلال التحويل اللحظي من أحمد علي رقم مرجعي 123456789012', {template: 'BM-R2', amount: 50000, accountLast4: '1234', senderName: 'أحمد علي', reference: '123456789012'}],
    ['English "has been credited … through InstaPay", "Reference No."', 'CIB', 'Dear Customer, your account XXXX1234 has been credited with EGP 500.00 through InstaPay from AHMED ALI on 12/05/2026 10:30. Reference No. 1a2b3c4d', {template: 'BANK-IPN-EN', amount: 50000, accountLast4: '1234', senderName: 'AHMED ALI', reference: '1a2b3c4d', occurredAt: '2026-05-12T10:30:00+03:00'}],
    ['QNB naming a payer', 'QNB', 'IPN transfer received with amount of EGP 1,250.50 on 1234 on 14/05 at 10:22 AM from MONA SAMPLE. Ref# 1a2b3c4d. For more details call 19700', {template: 'QNB-R1', amount: 125050, senderName: 'MONA SAMPLE'}],
    ['an InstaPay address with a dot, in capitals', 'HSBC', 'Your HSBC Account ********6203 was credited with IPN inward transfer for EGP 10.00 on 03-05-2026 17:06 from SAMY.SAMPLE@INSTAPAY with reference 208ad9e4. For further details, please contact HSBC call centre', {payerAddress: 'samy.sample@instapay', senderName: null}],
  ] as const)('%s', (_label, sender, body, expected) => {
    expect(receipt(sender, body)).toMatchObject({provider: 'instapay', senderPhone: null, ...expected})
  })

  it('CIB\'s two-way «تم تنفيذ» into an account that is not said to be the owner\'s is never a receipt', () => {
    expect(parse('CIB', 'تم تنفيذ تحويل لحظي بمبلغ 100 جم إلى حساب رقم 1234 برقم مرجعي 6b2d1e88').kind).toBe('ignored')
    expect(parse('CIB', 'تم تنفيذ تحويل لحظي بمبلغ 100 جم إلى محفظة 01000000001 من حسابك المنتهي ب ****1234 برقم مرجعي 6b2d1e88')).toMatchObject({reason: 'not_a_receipt', movement: 'debit'})
  })
})

// ---- What must be ignored ------------------------------------------------------------------

describe('bank messages that must be ignored', () => {
  const NOT = {kind: 'ignored', reason: 'not_a_receipt', provider: 'instapay'}

  it.each([
    ['CIB outgoing, the credit\'s own words up to the amount', 'CIB', 'يرجى العلم انه تم تنفيذ تحويل لحظي بمبلغ 5.00 جم من حسابك المنتهي بـ ****6286 برقم مرجعي 6b2d1e88 بتاريخ 30-04-2026 14:52 للمزيد، برجاء الاتصال بـ 19666', {movement: 'debit', amount: 500, accountLast4: '6286'}],
    ['NBE outgoing from the account', 'BanK-AlAhly', 'تم تنفيذ تحويل لحظي من حسابكم رقم 0130 بمبلغ 3380.00 جم إلى احمد ر**** ع********* ع******** رقم مرجعي 405745908775 يوم 04-15 الساعة 12:51 للمزيد اتصل بـ 19623', {movement: 'debit', amount: 338000, accountLast4: '0130'}],
    ['NBE outgoing from the prepaid card', 'BanK-AlAhly', 'تم تنفيذ تحويل لحظي من بطاقتكم مسبقة الدفع بمبلغ 150.00 جم إلى محمد ا**** س***** رقم مرجعي 405745908776 يوم 04-15 الساعة 12:55 للمزيد اتصل بـ 19623', {movement: 'debit', amount: 15000}],
    ['HSBC outgoing', 'HSBC', 'Your HSBC Account ********6203 was debited with IPN outward transfer for EGP 500.00 on 03-05-2026 17:05 to AHMED SAMPLE with reference 208ad9e5. For further details, please contact HSBC call centre', {movement: 'debit', amount: 50000, accountLast4: '6203'}],
    ['QNB outgoing', 'QNB', 'IPN transfer sent with amount of EGP 250.00 from 1234 on 14/05 at 10:22 AM. Ref# 1a2b3c4e. For more details call 19700', {movement: 'debit', amount: 25000}],
    ['Banque Misr outgoing, padded, comma thousands', 'Banque Misr', 'تم تحويل مبلغ 1,500EGP      من حساب رقم xxx1234    فى 05-JUL-2026  عن طريق التحويل اللحظي', {movement: 'debit', amount: 150000, accountLast4: '1234'}],
    ['ADIB outgoing (English)', 'ADIB', 'Your account ending in 5678 has been charged the amount of 300.00 for an IPN transfer on 2026-07-05 15:10 Txn Ref: 123456789012', {movement: 'debit', amount: 30000, accountLast4: '5678'}],
    ['ADIB outgoing (Arabic), with the balance', 'ADIB', 'عميلنا العزيز, تم خصم 300.00 EGP من حسابك رقم 100012345678 فى 05/07/2026 03:10:00 PM علما بأن رصيدكم الحالى 12,045.67 شكرا لاختيارك ADIB', {movement: 'debit', amount: 30000, balance: 1204567, accountLast4: '5678'}],
    ['KFH outgoing, a 3-digit account tail', 'KFH-Egypt', 'IPN Transfer with EGP 750.00 deducted on 14/05 10:22 from your AC ending with 123 with Ref# 1a2b3c4f', {movement: 'debit', amount: 75000, accountLast4: '123'}],
    ['NBE card debit in InstaPay wording', 'BanK-AlAhly', 'تم خصم مبلغ 60.01 جم لحظيا باستخدام شبكة المدفوعات اللحظية من بطاقتكم (مسبقة الدفع/المرتبات) عند Mobile Recharge يوم 08-13 الساعة 03:17 مرجع التاجر 1437436062 للمزيد اتصل بـ 19623', {movement: 'debit', amount: 6001}],
    ['HSBC reversal: the credit\'s frame, from a name, but the owner\'s own money', 'HSBC', 'Your HSBC Account ********6203 was reversed with IPN outward transfer for EGP 500.00 on 03-05-2026 17:06 from AHMED SAMPLE with reference 208ad9e5. For further details, please contact HSBC call centre', {movement: 'credit', amount: 50000, accountLast4: '6203'}],
    ['Banque Misr deposit machine', 'BankMisr', 'شكرًا لاستخدامك بطاقة بنك مصر ****2739، تم إضافة مبلغEGP 9800.00 الة رقم 01880111 BM F.D SMA يوم 25/08، الرصيد المتاح EGP 188908.57لمزيد من المعلومات اضغط هنا bnkmsr.com/online', {movement: 'credit', amount: 980000, balance: 18890857, accountLast4: '2739'}],
    ['Banque Misr credit-card repayment', 'Banque Misr', 'Deposit of EGP 2,000.00 was made to BM credit card ending ****1234 at BM-Online on 14/05/2026.', {movement: 'credit', amount: 200000, accountLast4: '1234'}],
    ['NBE prepaid-card purchase, «رقم» glued to the digits, Arabic-Indic hotline', 'BanK-AlAhly', 'تم خصم 250.00 جم من بطاقة المدفوعة مقدما رقم1234 عند VODAFONE CASH TOPUP    يوم 05-14 الساعة 10:22 للمزيد اتصل بـ ١٩٦٢٣', {movement: 'debit', amount: 25000, accountLast4: '1234'}],
    ['CIB debit card at an ATM, «عند» glued', 'CIB', 'تم خصم مبلغ 500.00 جم من بطاقة الخصم المباشر المنتهية بـ **1234 عندATM CIB SMOUHA    يوم 14/05 10:22', {movement: 'debit', amount: 50000, accountLast4: '1234'}],
    ['QNB card purchase at a wallet top-up', 'QNB', 'Your Debit Card **1234 had a Successful transaction of EGP 100.00 @VODAFONE CASH TOPUP     on 14/05 10:22', {movement: 'debit', amount: 10000, accountLast4: '1234'}],
    ['CIB salary credit (no InstaPay wording)', 'CIB', 'Your account ending 4411 was credited with EGP 15,000.00 on 01/09/2026. Salary transfer.', {movement: 'credit', amount: 1500000, accountLast4: '4411'}],
    ['Banque Misr cash deposit in BM-R2\'s frame', 'Banque Misr', 'تم اضافة مبلغ 500EGP       الى حساب رقم xxx1234     فى 05-JUL-2026  عن طريق ايداع نقدي', {movement: 'credit', amount: 50000, accountLast4: '1234'}],
    ['ADIB salary in ADIB-R1\'s frame', 'ADIB', 'عميلنا العزيز, نوجه عناية سيادتكم أنه تم إضافة 10,000.00 EGP الى حسابك رقم 100012345678 فى 01/07/2026 09:00:00 AM راتب شهر يوليو علما بأن رصيدكم الحالى 22,345.67 شكرا لاختيارك ADIB', {movement: 'credit', amount: 1000000, balance: 2234567}],
  ] as const)('%s', (_label, sender, body, movement) => {
    expect(parse(sender, body)).toMatchObject({...NOT, ...movement})
  })

  it.each([
    ['CIB card refund in a foreign currency, no leading zero', 'CIB', 'The transaction on your credit card#1234 from AMAZON MKTPLACE with USD .99 on 14/05/26 at 10:22 has been refunded.'],
    ['Banque Misr login alert', 'Banque Misr', 'تم تسجيل الدخول علي حساب الانترنت البنكي الخاص بكم يوم 2026-05-14 الساعه 10:22 اذا لم تكن انت اتصل علي 19888'],
    ['card OTP with an amount', 'CIB', 'Your OTP for the online payment of EGP 1,250.00 at AMAZON.EG is 482913. Do not share it.'],
    ['Arabic one-time password with an amount', 'BanK-AlAhly', 'كلمة السر لمرة واحدة لعملية شراء بمبلغ 500.00 جم من NOON هي 123456 للمزيد اتصل بـ 19623'],
    ['OTP for an outgoing InstaPay transfer', 'HSBC', '123456 is your one-time password to confirm an IPN transfer of EGP 500.00 to AHMED SAMPLE. Do not share it.'],
    ['a credit from another bank sender with ADIB-R1\'s words but no ADIB signature', 'CIB', 'عميلنا العزيز, تم إضافة 1,500.00 EGP الى حسابك رقم 100012345678 فى 05/07/2026 03:15:20 PM'],
  ] as const)('%s', (_label, sender, body) => {
    const r = parse(sender, body)
    expect(r).toMatchObject(NOT)
    if (_label.includes('OTP') || _label.includes('password') || _label.includes('login')) expect(r).not.toHaveProperty('movement')
  })
})

describe('bank senders', () => {
  it.each(['BanK-AlAhly', 'NBE', '19623', '١٩٦٢٣', 'CIB', 'Banque Misr', 'BankMisr', 'BM', 'HSBC', 'QNB', 'Mashreq-EGY', 'Mashreq NEO', 'ADIB', 'KFH-Egypt'])('%s is a trusted bank', (sender) => {
    expect(classifySender(sender)).toBe('bank')
  })

  it.each(['+201000000050', '01000000051', '00201000000052', '19888', '19666', '196230', '', 'CIB Offers', 'InstaPay'])('a bank credit from %j is refused', (sender) => {
    for (const {body} of LAYOUTS) expect(parse(sender, body)).toEqual({kind: 'ignored', reason: 'untrusted_sender', provider: null})
  })
})

describe('two bank messages in one body, and layouts no template reads', () => {
  const credit = LAYOUTS[0]!.body
  const debit = 'تم تنفيذ تحويل لحظي من حسابكم رقم 0130 بمبلغ 3380.00 جم إلى احمد ر**** ع********* رقم مرجعي 405745908775 يوم 04-15 الساعة 12:51 للمزيد اتصل بـ 19623'

  it.each([
    ['credit then debit', `${credit}\n${debit}`],
    ['debit then credit', `${debit} ${credit}`],
    ['the same credit twice', `${credit}${credit}`],
    ['two credits', `${credit}\n${LAYOUTS[1]!.body}`],
  ])('%s → multiple_messages', (_label, body) => {
    expect(parse('BanK-AlAhly', body)).toEqual({kind: 'ignored', reason: 'multiple_messages', provider: 'instapay'})
  })

  it.each([
    ['a new Arabic wording («بقيمة» for «بمبلغ»)', 'BanK-AlAhly', 'تم إضافة تحويل لحظي لحسابكم رقم 0130 من SAMPLE TESTER بقيمة 100.00 جم رقم مرجعي 990470670167'],
    ['an English credit with the amount in another field', 'HSBC', 'Your HSBC Account ********6203 was credited with IPN inward transfer. Amount: 1,080.00. Reference 208ad9e4'],
  ])('%s → unrecognised_layout', (_label, sender, body) => {
    expect(parse(sender, body)).toEqual({kind: 'ignored', reason: 'unrecognised_layout', provider: 'instapay'})
  })

  it('a bank promotion about receiving InstaPay transfers is not counted as a new layout', () => {
    expect(parse('CIB', 'استقبل تحويلاتك اللحظية عبر انستاباي مجانا على حسابك في CIB واحصل على 100 جنيه كاش باك')).toMatchObject({reason: 'not_a_receipt'})
    expect(parse('QNB', 'Receive money instantly with InstaPay on your QNB account. Download the app now.')).toMatchObject({reason: 'not_a_receipt'})
  })
})

describe('wallet receipts keep their shape', () => {
  it('a wallet receipt has no payer address and no account', () => {
    const r = receipt('VF-Cash', 'تم استلام مبلغ 400.00 جنيه من 01000000006؛\nالمسجل بإسم Samy A\nعلى رقم محفظتك 01000000007 بتاريخ 20:32 26-08-02.\nرصيدك الحالي: 4144.75 جنيه\nرقم العملية: 022304890518')
    expect([r.payerAddress, r.accountLast4]).toEqual([null, null])
  })
})
