import {readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {parseResultToJson} from '../../src/commands/sms/parse.js'
import {VcashError} from '../../src/core/errors.js'
import {formatMoney} from '../../src/core/money.js'
import {parseFixtureText} from '../../src/sms/fixture-file.js'
import {cairoIso, flattenBody, smsFingerprint} from '../../src/sms/parse.js'
import {classifySender, isPhoneLikeSender, senderKey} from '../../src/sms/senders.js'
import {TEMPLATES} from '../../src/sms/templates.js'
import type {ParseResult} from '../../src/sms/types.js'
import {parse, receipt, toArabicIndic} from './sms-helpers.js'

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/sms')

function wire(r: ParseResult): Record<string, unknown> {
  const j: Record<string, unknown> = {...parseResultToJson(r)}
  delete j.template
  return j
}

const toPersian = (s: string): string => s.replace(/\d/g, (d) => String.fromCharCode(0x06f0 + Number(d)))

// ---- Every sample in sms-formats.md, with the exact fields ----------------------------

const SPEC_RECEIPTS: {sender: string; body: string; expected: Record<string, string | null>}[] = [
  {sender: "VF-Cash", body: "تم استلام مبلغ 3400 جنيه من رقم 01000000001 المسجل بإسم Ahmed S Example على رقم محفظتك  01000000002.\nرصيدك الحالي: 6116.66 جنيه\nتاريخ العملية: 22:04 26-04-13\nرقم العملية: 019146659820\nتابع كل مصروفاتك من تاريخ المعاملات على أبلكيشن أنا فودافون http://vf.eg/vfcash\n", expected: {"provider": "vodafone_cash", "amount": "3400.00", "sender_phone": "01000000001", "sender_name": "Ahmed S Example", "reference": "019146659820", "balance": "6116.66", "occurred_at": "2026-04-13T22:04:00+02:00", "template": "VF-R1"}},
  {sender: "VF-Cash", body: "تم استلام مبلغ 400.00 جنيه من 01000000006؛\nالمسجل بإسم Samy Samy Abd El Sample Ahmed\nعلى رقم محفظتك 01000000007 بتاريخ 20:32 26-08-02.\nرصيدك الحالي: 4144.75 جنيه\nرقم العملية: 022304890518\n تقدر تتابع كل مصروفاتك من تاريخ المعاملات على أبلكيشن أنا فودافون http://vf.eg/vfcash", expected: {"provider": "vodafone_cash", "amount": "400.00", "sender_phone": "01000000006", "sender_name": "Samy Samy Abd El Sample Ahmed", "reference": "022304890518", "balance": "4144.75", "occurred_at": "2026-08-02T20:32:00+03:00", "template": "VF-R2"}},
  {sender: "VF-Cash", body: "تم استلام مبلغ 488 جنيه من رقم  01000000013 ؛ المسجل بإسم Mona A Test رصيدك الحالي 831.49 تاريخ العملية 23:06 25-11-27 رقم العملية  015756930737.دلوقتي تقدر تسحب من محفظتك برسوم 5 جنيه بس بدل 1%! كلم *9*999# واشترك علشان تسحب لحد 5000 جنيه شهريًا من محفظتك برسوم ثابتة وأوفر! تابع كل مصروفاتك من تاريخ المعاملات على أبلكيشن أنا فودافون http://vf.eg/vfcash", expected: {"provider": "vodafone_cash", "amount": "488.00", "sender_phone": "01000000013", "sender_name": "Mona A Test", "reference": "015756930737", "balance": "831.49", "occurred_at": "2025-11-27T23:06:00+02:00", "template": "VF-R3"}},
  {sender: "VF-Cash", body: "تم استلام مبلغ 210.00 جنيه من رقم 01100000015؛ المسجل بإسم Tamer H ALSAMPLE. رصيدك الحالي 226.28 جنيه. تاريخ العملية ‎14-08-25 11:18‎ رقم العملية 013368163226.", expected: {"provider": "vodafone_cash", "amount": "210.00", "sender_phone": "01100000015", "sender_name": "Tamer H ALSAMPLE", "reference": "013368163226", "balance": "226.28", "occurred_at": "2025-08-14T11:18:00+03:00", "template": "VF-R4"}},
  {sender: "VF-Cash", body: "Apr 20, 2026 7:35:42 PM: Received EGP3,050 from 00201100000017 to Mobile Account Number 3054. Ref: 019326828533 Available Balance: 10602.66", expected: {"provider": "instapay", "amount": "3050.00", "sender_phone": "01100000017", "sender_name": null, "reference": "019326828533", "balance": "10602.66", "occurred_at": "2026-04-20T19:35:42+02:00", "template": "VF-R5"}},
  {sender: "e& money", body: "تم إستلام مبلغ 200.00 ج.م من رقم 01000000019 المسجل باسمSAMYR N ABRAHYM بنجاح. رصيد محفظتك الحالى 429.90 ج.م.استخدم e& money هتكسب و العب هتكسب هدايا تانية كتير http://spr.ly/Spin_The_Wheel وكمان تقدر تستمتع بخصم %30على وجبة كومبو من Buffalo Burger ب 160 جنيه بدل225 لما تدفع ب http://spr.ly/BuffaloBurger2 e& money", expected: {"provider": "etisalat_cash", "amount": "200.00", "sender_phone": "01000000019", "sender_name": "SAMYR N ABRAHYM", "reference": null, "balance": "429.90", "occurred_at": null, "template": "EA-R1"}},
  {sender: "e& money", body: "تم إيداع مبلغ 1.00  في حسابك بنجاح من رقم حساب 00201000000022 المسجل باسم SAMEH ABDU LLATIF MOHAMED SAMPLEE \n استخدم e& money هتكسب و العب هتكسب هدايا تانية كتير http://spr.ly/Spin_The_Wheel", expected: {"provider": "etisalat_cash", "amount": "1.00", "sender_phone": "01000000022", "sender_name": "SAMEH ABDU LLATIF MOHAMED SAMPLEE", "reference": null, "balance": null, "occurred_at": null, "template": "EA-R2"}},
  {sender: "Orange Cash", body: "تم إستلام عملية تحويل أموال بمبلغ 150.00 جنيه من SAMY H Ahmed، رصيدك الحالي 366.22 جنيه. رقم المعاملة 1908287136\n100 جنيه كاش باك لما تحول، تدفع او تودع فلوس في محفظة اورنچ كاش", expected: {"provider": "orange_cash", "amount": "150.00", "sender_phone": null, "sender_name": "SAMY H Ahmed", "reference": "1908287136", "balance": "366.22", "occurred_at": null, "template": "OR-R1"}},
]

const SPEC_IGNORED: {sender: string; provider: string; body: string}[] = [
  {sender: "VF-Cash", provider: 'vodafone_cash', body: "تم تحويل 500 جنيه لرقم 01000000024 مصاريف الخدمة 0 جنيه رصيد حسابك فى فودافون كاش الحالي 450.15.\nتاريخ العملية: 10:05 26-04-14\nرقم العملية: 019153793884\n مع كل معاملة بفودافون كاش هتزود فرصتك انك تكسب جنيه دهب لست الحبايب ,حول، اشحن،جدد باقتك، وادفع فواتيرك علشان تزود فرصتك من خلال http://vf.eg/vfcash\n"},
  {sender: "VF-Cash", provider: 'vodafone_cash', body: "EGP 80 were successfully transferred to 01100000028 the transfer fee is EGP 1, your current Vodafone Cash balance is EGP 1.31\nTransaction date: 26-05-14 21:49\nTransaction ID: 019995593948\nWith every transaction you get more chances to win a Gold Coin for Mother's Day. Transfer, recharge & pay your bills through http://vf.eg/vfcash and increase your chances!"},
  {sender: "VF-Cash", provider: 'vodafone_cash', body: "تم طلب سحب مبلغ 10600.0 جنيه من حساب فودافون كاش. للتأكيد اطلب #1*9* وادخل الرقم السري. رقم العملية 62131776336307939."},
  {sender: "VF-Cash", provider: 'vodafone_cash', body: "تم سحب 10600.0 ج بنجاح. رصيد حسابك في فودافون  كاش الحالي 4221.58 جنيه. تاريخ العملية 16-04-26 12:45 رقم العملية 019210623893. دلوقتي ولأول مرة تقدر تشحن أي كارت كهرباء بفودافون كاش من مكانك ,دوس على http://vf.eg/vfcash  واختار خدمة شحن كارت الكهرباء."},
  {sender: "VF-Cash", provider: 'vodafone_cash', body: "تم سحب مبلغ 200.00 جنيه من محفظة فودافون كاش؛ رصيد حسابك الحالي 0.98 جنيه. تاريخ العملية ‎23-07-25 22:26؛ رقم العملية 012918985998."},
  {sender: "VF-Cash", provider: 'vodafone_cash', body: "رصيد حسابك فى فودافون كاش الحالي950.15 جنيه؛ تاريخ العملية 09:56 26-04-14 رقم العملية019153675552.تابع كل مصروفاتك من تاريخ المعاملات على أبلكيشن أنا فودافون http://vf.eg/vfcash"},
  {sender: "VF-Cash", provider: 'vodafone_cash', body: "Your current Vodafone Cash balance is 82.31 LE  Trx date: 14-05-26 21:48 Trx ID 019995555928. View your transaction history on Ana Vodafone App to track your spending: http://vf.eg/vfcash"},
  {sender: "VF-Cash", provider: 'vodafone_cash', body: "تم دفع مبلغ 449.0جنية لNzmly.  رصيد محفظتك الحالي 103.31 جنيه. رقم العملية 019951946027 تاريخ العملية 13-05-26 13:09. دلوقتي ولأول مرة تقدر تشحن أي كارت كهرباء بفودافون كاش من مكانك ,دوس على http://vf.eg/vfcash  واختار خدمة شحن كارت الكهرباء."},
  {sender: "VF-Cash", provider: 'vodafone_cash', body: "تم شحن رصيد موبايلك ب 175 بنجاح وخصم 250 من محفظتك شاملة الضريبة; رصيد حسابك في فودافون كاش الحالي 77.31."},
  {sender: "VF-Cash", provider: 'vodafone_cash', body: "الرقم السري المتغير الخاص بعمليه الشراء الالكترونية من محفظة فودافون كاش هو 321084 بمبلغ 449.0. وستنتهي صلاحيته خلال 5 دقائق. برجاء عدم مشاركه هذا الرقم مع أي شخص حفاظًا على بياناتك."},
  {sender: "VF-Cash", provider: 'vodafone_cash', body: "لا يوجد رصيد كاف في حسابك. يمكنك تحويل 3652 جنية فقط بعد خصم 15 ج رسوم تحويل; رقم العملية 019289183176"},
  {sender: "VF-Cash", provider: 'vodafone_cash', body: "مبروك كسبت 400 جنيه تستخدمها دقائق لفودافون و ميجابيتس ب20 قرش الوحدة. للاستمتاع بالعرض إطلب\n*365*92#\nقبل يوم آخر اليوم"},
  {sender: "e& money", provider: 'etisalat_cash', body: "إي اندكاش بقت e&money \nتم تحويل مبلغ 4.00 ج.م الى رقم 01000000020 بنجاح. \nرسوم التحويل 1.00  جنيه.\nرصيد محفظتك الحالى 1.00. لمعرفة رصيد محفظة e& money اطلب #4*777* مع e& money دلوقتي السحب بـ ٥ ج لحد ٥٠٠٠ ج والتحويل بـ ١ ج لأي محفظة وعندك فرصة تكسب موتوسيكل أو مليون جنيه  وكمان هتكسب كارت خصومات طبية ادخل على اللينك و استلم هديتك http://spr.ly/Spin_The_Wheel"},
  {sender: "Orange Cash", provider: 'orange_cash', body: "عملية تحويل أموال ناجحة بمبلغ 5.00 جنيه، لرقم 01100000018, رسوم التحويل 0.00 جنيه،  رصيدك الحالي 6.43 جنيه . رقم العملية 2669542695\n\nحول، اودع، اشحن، ادفع، اسحب واستلم فلوس من الخارج على اورنچ كاش وليك فرصة تكسب لحد 10 جرام دهب!\nكاشك دهب مع اورنچ كاش!\nللاشتراك في مسابقة الدهب اطلب #71#\n\nللتحويل"},
]

/** The balance movement each SPEC_IGNORED sample carries for the balance chain (none: {}). */
const SPEC_IGNORED_MOVEMENTS: Record<string, unknown>[] = [
  {movement: 'debit', amount: 50000, balance: 45015}, // send
  {movement: 'debit', amount: 8000, balance: 131}, // English send
  {}, // cash-out request: nothing moved yet
  {movement: 'debit', amount: 1060000, balance: 422158}, // cash-out
  {movement: 'debit', amount: 20000, balance: 98}, // cash-out
  {movement: 'balance', amount: null, balance: 95015}, // balance reply
  {movement: 'balance', amount: null, balance: 8231}, // English balance reply
  {movement: 'debit', amount: 44900, balance: 10331}, // merchant payment
  {movement: 'debit', amount: 25000, balance: 7731}, // own top-up: the wallet debit, not the 175 of airtime
  {}, // purchase code with an amount
  {}, // failed transfer
  {}, // promotion
  {movement: 'debit', amount: 400, balance: 100}, // e& money send
  {movement: 'debit', amount: 500, balance: 643}, // Orange Cash send
]

describe('spec samples (sms-formats.md)', () => {
  it.each(SPEC_RECEIPTS.map((s, i) => ({...s, i})))('receipt sample $i ($expected.template)', ({sender, body, expected}) => {
    expect(parseResultToJson(parse(sender, body))).toEqual({kind: 'receive', ...expected})
  })

  it.each(SPEC_IGNORED.map((s, i) => ({...s, i, movement: SPEC_IGNORED_MOVEMENTS[i]})))('ignored sample $i', ({sender, provider, body, movement}) => {
    expect(parse(sender, body)).toEqual({kind: 'ignored', reason: 'not_a_receipt', provider, ...movement})
  })
})

// ---- Fixtures ------------------------------------------------------------------------

describe('fixtures/sms against expected.json', () => {
  const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, unknown>
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.txt')).sort()

  it('every fixture has an expectation and every expectation a fixture', () => {
    expect(files.length).toBeGreaterThanOrEqual(50)
    expect(Object.keys(expected).sort()).toEqual(files)
  })

  it.each(files)('%s', (file) => {
    const fx = parseFixtureText(readFileSync(path.join(FIXTURES, file), 'utf8'))
    expect(wire(parse(fx.sender, fx.body))).toEqual(expected[file])
  })

  it('the same fixtures parse the same with line breaks flattened (receipts only)', () => {
    for (const file of files) {
      const fx = parseFixtureText(readFileSync(path.join(FIXTURES, file), 'utf8'))
      const multi = parse(fx.sender, fx.body)
      if (multi.kind !== 'receive') continue
      expect(parse(fx.sender, fx.body.replace(/\r?\n/g, ' ')), file).toEqual(multi)
    }
  })
})

// ---- Variants described in words -------------------------------------------------------

const VF_R2 = (from: string, name: string, date: string, sep = '\n'): string =>
  `تم استلام مبلغ 400.00 جنيه من ${from}؛${sep}المسجل بإسم ${name}${sep}على رقم محفظتك 01000000007 بتاريخ ${date}.${sep}رصيدك الحالي: 4144.75 جنيه${sep}رقم العملية: 022304890518${sep} تقدر تتابع كل مصروفاتك من تاريخ المعاملات على أبلكيشن أنا فودافون http://vf.eg/vfcash`

describe('VF-R2 variants', () => {
  it('empty sender number («من ؛») gives a null phone', () => {
    const r = receipt('VF-Cash', VF_R2('', 'WESTERN UNION', '20:32 26-08-02'))
    expect(r.senderPhone).toBeNull()
    expect(r.senderName).toBe('WESTERN UNION')
    expect(r.template).toBe('VF-R2')
  })

  it.each([
    ['time first, YY-MM-DD', '20:32 26-08-02', '2026-08-02T20:32:00+03:00'],
    ['date first, DD-MM-YY', '02-08-26 20:32', '2026-08-02T20:32:00+03:00'],
    ['winter date', '09:05 26-01-15', '2026-01-15T09:05:00+02:00'],
  ])('%s', (_label, date, iso) => {
    expect(receipt('VF-Cash', VF_R2('01000000006', 'Samy A', date)).occurredAt).toBe(iso)
  })

  it.each([
    ['multi-line', '\n'],
    ['flattened', ' '],
    ['flattened with doubled spaces', '  '],
  ])('a name ending in «على» keeps it (%s)', (_label, sep) => {
    expect(receipt('VF-Cash', VF_R2('01000000006', 'محمود حسن على', '20:32 26-08-02', sep)).senderName).toBe('محمود حسن على')
    expect(receipt('VF-Cash', VF_R2('01000000006', 'Ahmed Ali على', '20:32 26-08-02', sep)).senderName).toBe('Ahmed Ali على')
    expect(receipt('VF-Cash', VF_R2('01000000006', 'محمود حسن', '20:32 26-08-02', sep)).senderName).toBe('محمود حسن')
  })

  it('flattened line breaks give the same receipt', () => {
    const body = VF_R2('01000000006', 'Samy A', '20:32 26-08-02')
    expect(parse('VF-Cash', body.replace(/\n/g, ' '))).toEqual(parse('VF-Cash', body))
  })
})

describe('VF-R1/R3/R4/R5 variants', () => {
  it('VF-R1: Arabic-script name, integer amount', () => {
    const r = receipt('VF-Cash', 'تم استلام مبلغ 500 جنيه من رقم 01500000001 المسجل بإسم أمنيه محمد شقره على رقم محفظتك  01000000002.\nرصيدك الحالي: 3909.52 جنيه\nتاريخ العملية: 21:50 26-08-19\nرقم العملية: 022857190374\n')
    expect([r.amount, r.senderName, r.senderPhone, r.template]).toEqual([50000, 'أمنيه محمد شقره', '01500000001', 'VF-R1'])
  })

  it('VF-R3: date first in DD-MM-YY order, promo glued to the reference with a period', () => {
    const r = receipt('VF-Cash', 'تم استلام مبلغ 488 جنيه من رقم  01000000013 ؛ المسجل بإسم Mona A Test رصيدك الحالي 831.49 تاريخ العملية 27-11-25 23:06 رقم العملية  015756930737.دلوقتي تقدر تسحب')
    expect([r.reference, r.balance, r.occurredAt]).toEqual(['015756930737', 83149, '2025-11-27T23:06:00+02:00'])
  })

  it('VF-R4: Arabic-Indic digits in the promo tail do not disturb the fields', () => {
    const r = receipt('VF-Cash', 'تم استلام مبلغ 210.00 جنيه من رقم 01100000015؛ المسجل بإسم Tamer H ALSAMPLE. رصيدك الحالي 226.28 جنيه. تاريخ العملية \u200e14-08-25 11:18\u200e رقم العملية 013368163226. اسحب لحد ٥٠٠٠ جنيه برسوم ٥ جنيه')
    expect([r.amount, r.balance, r.reference, r.senderName]).toEqual([21000, 22628, '013368163226', 'Tamer H ALSAMPLE'])
  })

  it('VF-R5: a 16-digit non-phone id gives a null phone', () => {
    const r = receipt('VF-Cash', 'Apr 20, 2026 7:35:42 PM: Received EGP3,050 from 4000123412341234 to Mobile Account Number 3054. Ref: 019326828533 Available Balance: 10602.66')
    expect([r.provider, r.senderPhone, r.amount, r.reference]).toEqual(['instapay', null, 305000, '019326828533'])
  })

  it('VF-R5: 12 AM is midnight and 12 PM is noon', () => {
    const body = (t: string): string => `Apr 20, 2026 ${t}: Received EGP50 from 00201100000017 to Mobile Account Number 3054. Ref: 019326828533 Available Balance: 10.00`
    expect(receipt('VF-Cash', body('12:05:00 AM')).occurredAt).toBe('2026-04-20T00:05:00+02:00')
    expect(receipt('VF-Cash', body('12:05:00 PM')).occurredAt).toBe('2026-04-20T12:05:00+02:00')
  })
})

describe('e& money and Orange Cash variants', () => {
  it('EA-R1: name glued to «باسم» and ending in «على»', () => {
    const r = receipt('e& money', 'تم إستلام مبلغ 80.00 ج.م من رقم 01000000037 المسجل باسممحمد السيد مصطفى على   بنجاح.')
    expect([r.senderName, r.senderPhone, r.reference, r.occurredAt, r.template]).toEqual(['محمد السيد مصطفى على', '01000000037', null, null, 'EA-R1'])
  })

  it('EA-R2: no currency, account number in international form', () => {
    const r = receipt('e&money', 'تم إيداع مبلغ 1.00  في حسابك بنجاح من رقم حساب 00201000000022 المسجل باسم SAMEH A')
    expect([r.amount, r.senderPhone, r.senderName]).toEqual([100, '01000000022', 'SAMEH A'])
  })

  it('Orange: Arabic name with the phone glued by a hyphen, all digits Arabic-Indic', () => {
    const r = receipt('Orange Cash', toArabicIndic('تم إستلام عملية تحويل أموال بمبلغ 75.50 جنيه من محمد أحمد-01200000039، رصيدك الحالي 80.00 جنيه. رقم المعاملة 0701234567').replace(/\./g, '٫'))
    expect([r.amount, r.senderPhone, r.senderName, r.reference, r.balance]).toEqual([7550, '01200000039', 'محمد أحمد', '0701234567', 8000])
  })

  it('Orange: phone first, then the name', () => {
    const r = receipt('Orange-Cash', 'تم إستلام عملية تحويل أموال بمبلغ 20 جنيه من 01200000039-منى سامي، رصيدك الحالي 80.00 جنيه. رقم المعاملة 2701234567')
    expect([r.senderPhone, r.senderName]).toEqual(['01200000039', 'منى سامي'])
  })
})

describe('InstaPay bank credits', () => {
  it('Mashreq: 8-hex reference, comma thousands, payer name, no phone', () => {
    const r = receipt('Mashreq-EGY', 'لقد استقبلت تحويل لحظي على  0540 بمبلغ 5,000.00 جم عبر IPN من محمد فريد احمد محمود يوم  28-02-2026 الساعة  16:50 رقم المعاملة 9def186b للمساعدة www.mashreq.com/mashreqipn')
    expect(wire(r)).toEqual({kind: 'receive', provider: 'instapay', amount: '5000.00', sender_phone: null, sender_name: 'محمد فريد احمد محمود', reference: '9def186b', balance: null, occurred_at: '2026-02-28T16:50:00+02:00', account_last4: '0540'})
  })

  it('a bank credit that is not an InstaPay transfer is not a receipt', () => {
    expect(parse('CIB', 'Your account ending 4411 was credited with EGP 15,000.00 on 01/09/2026. Salary transfer.')).toEqual({kind: 'ignored', reason: 'not_a_receipt', provider: 'instapay', movement: 'credit', amount: 1500000, balance: null, accountLast4: '4411'})
  })
})

// ---- Pitfalls: digits, marks, money -------------------------------------------------------

const VF_R1 = (amount: string, currency = 'جنيه'): string =>
  `تم استلام مبلغ ${amount} ${currency} من رقم 01000000001 المسجل بإسم Ahmed S Example على رقم محفظتك  01000000002.\nرصيدك الحالي: 6116.66 جنيه\nتاريخ العملية: 22:04 26-04-13\nرقم العملية: 019146659820\n`

describe('money through the parser', () => {
  it.each([
    ['3400', 340000],
    ['3400.5', 340050],
    ['3400.50', 340050],
    ['3,400', 340000],
    ['1,234,567.89', 123456789],
    ['0.01', 1],
    ['١٢٣٫٤٥', 12345],
    ['۱۲۳', 12300],
    ['١٬٠٠٠', 100000],
  ])('%s', (amount, piastres) => {
    expect(receipt('VF-Cash', VF_R1(amount)).amount).toBe(piastres)
  })

  it.each(['جنيه', 'جنية', 'ج', 'ج.م', 'جم', 'EGP', 'LE', 'L.E', ''])('currency word %j', (cur) => {
    expect(receipt('VF-Cash', VF_R1('100', cur)).amount).toBe(10000)
  })

  it('an amount glued to the currency («449.0جنية»)', () => {
    expect(receipt('VF-Cash', VF_R1('449.0', '').replace('449.0 ', '449.0جنية')).amount).toBe(44900)
  })

  it('zero, three decimals and a comma decimal are not read as amounts', () => {
    for (const bad of ['0', '0.00', '1.234', '1,00']) expect(parse('VF-Cash', VF_R1(bad))).toMatchObject({kind: 'ignored'})
  })
})

describe('normalisation pitfalls', () => {
  const base = VF_R1('3400')
  const expected = receipt('VF-Cash', base)

  it('Arabic-Indic and Persian digits', () => {
    expect(parse('VF-Cash', toArabicIndic(base))).toEqual(expected)
    expect(parse('VF-Cash', toPersian(base))).toEqual(expected)
  })

  it('invisible marks, doubled, anywhere', () => {
    const marks = ['\u200e\u200e', '\u200f', '\u061c\u061c', '\u202b', '\u202c', '\u2066', '\u2069', '\ufeff']
    let i = 0
    const marked = base.replace(/ /g, () => ` ${marks[i++ % marks.length]!}`).replace(/(\d)(\d)/, `$1\u200f$2`)
    expect(parse('VF-Cash', marked)).toEqual(expected)
  })

  it('spelling variants (إستلام, باسم, الحالى, جنية, العمليه)', () => {
    const v = base.replace('استلام', 'إستلام').replace('بإسم', 'باسم').replace('الحالي', 'الحالى').replace('جنيه', 'جنية').replace('العملية', 'العمليه')
    expect(parse('VF-Cash', v)).toEqual(expected)
  })

  it('doubled and missing whitespace, CRLF, NBSP', () => {
    const v = base.replace(/ /g, '  ').replace(/\n/g, '\r\n').replace('بإسم ', 'بإسم').replace('الحالي: ', 'الحالي:\u00a0')
    expect(parse('VF-Cash', v)).toEqual(expected)
  })

  it('references keep leading zeros and are strings', () => {
    expect(receipt('VF-Cash', base.replace('019146659820', '000000000123')).reference).toBe('000000000123')
  })
})

// ---- Senders ------------------------------------------------------------------------------

describe('senders', () => {
  it.each([
    ['VF-Cash', 'vodafone'],
    ['vf-cash', 'vodafone'],
    ['VF CASH', 'vodafone'],
    ['Vodafone Cash', 'vodafone'],
    ['VodafoneCash', 'vodafone'],
    ['Vodafone', 'vodafone'],
    ['e& money', 'etisalat'],
    ['e&money', 'etisalat'],
    ['Etisalat', 'etisalat'],
    ['EtisalatCash', 'etisalat'],
    ['Orange Cash', 'orange'],
    ['OrangeCash', 'orange'],
    ['Orange-Cash', 'orange'],
    ['Orange', 'orange'],
    ['اورنج كاش', 'orange'],
    ['BanK-AlAhly', 'bank'],
    ['CIB', 'bank'],
    ['Mashreq-EGY', 'bank'],
    ['Mashreq NEO', 'bank'],
    ['NBE', 'bank'],
    ['QNB', 'bank'],
    ['Banque Misr', 'bank'],
  ])('%s is trusted (%s)', (sender, family) => {
    expect(classifySender(sender)).toBe(family)
  })

  it.each(['+201000000001', '01000000001', '00201000000001', '0100 000 0001', '+20 100-000-0001', '٠١٠٠٠٠٠٠٠٠١', '19888', 'VF-Cash1234567', 'Vodafone-Gift', 'VFCash Support', '', 'InstaPay Egypt'])('%j is untrusted', (sender) => {
    expect(classifySender(sender)).toBeNull()
  })

  it('phone-like detection and the comparison key', () => {
    expect(isPhoneLikeSender('+20 100 000 0001')).toBe(true)
    expect(isPhoneLikeSender('VF-Cash')).toBe(false)
    expect(senderKey(' VF-Cash ')).toBe(senderKey('vf cash'))
  })

  it('a receipt from a phone number is refused as a known fraud', () => {
    const body = SPEC_RECEIPTS[0]!.body
    for (const sender of ['+201000000050', '01000000051', '00201000000052', 'Unknown Wallet']) {
      expect(parse(sender, body)).toEqual({kind: 'ignored', reason: 'untrusted_sender', provider: null})
    }
  })

  it('the provider comes from the sender, even for another wallet\'s wording (generic layout)', () => {
    expect(parse('Orange Cash', SPEC_RECEIPTS[0]!.body)).toMatchObject({kind: 'receive', provider: 'orange_cash', template: 'OR-GEN', amount: 340000})
  })
})

// ---- Ignore list, multiple messages, empty, unrecognised ----------------------------------

describe('classification', () => {
  it.each([
    ['VF send', 'تم تحويل 500 جنيه لرقم 01000000024 مصاريف الخدمة 0 جنيه رصيد حسابك فى فودافون كاش الحالي 450.15.'],
    ['ATM withdrawal', 'تم سحب مبلغ 1000.00 جنيه من ماكينة ATM بنجاح. رصيد حسابك الحالي 386.31 جنيه.'],
    ['ATM deposit', 'تم إيداع مبلغ 500.00 جنيه في محفظتك من خلال ماكينة ATM بنجاح. رصيدك الحالي 950.00 جنيه. رقم العملية 019876543210'],
    ['cash-back', 'You have received EGP 10 cashback on your last payment. Transaction ID 019876543211'],
    ['English without a currency (data bundle)', 'You have received 500 MB from Vodafone. Transaction ID 019876543212'],
    ['wrong PIN', 'الرقم السري غير صحيح. متبقي لك محاولتين.'],
    ['promo: «استلمت حوالتك»', 'استلمت حوالتك من برة؟ استلمها على محفظة فودافون كاش فورا وخد 50 جنيه هدية!'],
    ['promo: «استقبل»', 'استقبل فلوسك من أي بنك عن طريق انستاباي على محفظتك مجانا.'],
    ['promo: «كسبت»', 'مبروك كسبت 400 جنيه تستخدمها دقائق لفودافون'],
    ['failed transfer', 'لا يوجد رصيد كاف في حسابك. يمكنك تحويل 3652 جنية فقط بعد خصم 15 ج رسوم تحويل; رقم العملية 019289183176'],
  ])('%s → not_a_receipt', (_label, body) => {
    expect(parse('VF-Cash', body)).toMatchObject({kind: 'ignored', reason: 'not_a_receipt', provider: 'vodafone_cash'})
  })

  it.each([
    ['ATM withdrawal', 'تم سحب مبلغ 1000.00 جنيه من ماكينة ATM بنجاح. رصيد حسابك الحالي 386.31 جنيه.', {movement: 'debit', amount: 100000, balance: 38631}],
    ['ATM deposit', 'تم إيداع مبلغ 500.00 جنيه في محفظتك من خلال ماكينة ATM بنجاح. رصيدك الحالي 950.00 جنيه. رقم العملية 019876543210', {movement: 'credit', amount: 50000, balance: 95000}],
    ['cash-back', 'You have received EGP 10 cashback on your last payment. Transaction ID 019876543211', {movement: 'credit', amount: 1000, balance: null}],
    ['data bundle', 'You have received 500 MB from Vodafone. Transaction ID 019876543212', {}],
    ['wrong PIN', 'الرقم السري غير صحيح. متبقي لك محاولتين.', {}],
  ])('%s carries its movement (or none)', (_label, body, movement) => {
    expect(parse('VF-Cash', body)).toEqual({kind: 'ignored', reason: 'not_a_receipt', provider: 'vodafone_cash', ...movement})
  })


  it('two receipts pasted into one body → multiple_messages (never half-parsed)', () => {
    const [a, b] = [SPEC_RECEIPTS[0]!.body, SPEC_RECEIPTS[2]!.body]
    for (const body of [`${a}\n${b}`, `${a} ${b}`, `${a}${a}`]) expect(parse('VF-Cash', body)).toEqual({kind: 'ignored', reason: 'multiple_messages', provider: 'vodafone_cash'})
  })

  it('a receipt pasted with a send → multiple_messages', () => {
    const body = `${SPEC_RECEIPTS[3]!.body}\n${SPEC_IGNORED[0]!.body}`
    expect(parse('VF-Cash', body)).toEqual({kind: 'ignored', reason: 'multiple_messages', provider: 'vodafone_cash'})
    expect(parse('VF-Cash', `${SPEC_IGNORED[0]!.body}\n${SPEC_RECEIPTS[3]!.body}`)).toMatchObject({reason: 'multiple_messages'})
  })

  it('empty and whitespace-only bodies → empty', () => {
    for (const body of ['', '   ', '\n\n', '\u200f\u200e \ufeff']) expect(parse('VF-Cash', body)).toEqual({kind: 'ignored', reason: 'empty', provider: null})
  })

  it('a trusted receipt-looking text no template reads → unrecognised_layout', () => {
    expect(parse('VF-Cash', 'تم استلام مبلغ 250 جنيه في محفظتك. شكرا لاستخدامك فودافون كاش')).toEqual({kind: 'ignored', reason: 'unrecognised_layout', provider: 'vodafone_cash'})
    expect(parse('VF-Cash', 'تم استلام مبلغ التحويل الخاص بك وسيضاف لمحفظتك قريبا')).toEqual({kind: 'ignored', reason: 'unrecognised_layout', provider: 'vodafone_cash'})
    expect(parse('e& money', 'تم إستلام مبلغ 200.00 ج.م بنجاح')).toEqual({kind: 'ignored', reason: 'unrecognised_layout', provider: 'etisalat_cash'})
  })
})

// ---- Dates ---------------------------------------------------------------------------------

describe('occurredAt', () => {
  it('uses the Africa/Cairo offset in force (DST since 2023)', () => {
    expect(cairoIso({y: 2026, mo: 1, d: 15, h: 10, mi: 0, s: 0})).toBe('2026-01-15T10:00:00+02:00')
    expect(cairoIso({y: 2026, mo: 7, d: 15, h: 10, mi: 0, s: 0})).toBe('2026-07-15T10:00:00+03:00')
    expect(cairoIso({y: 2022, mo: 7, d: 15, h: 10, mi: 0, s: 0})).toBe('2022-07-15T10:00:00+02:00')
    // Summer time starts on the last Friday of April (2026-04-24 00:00 → 01:00).
    expect(cairoIso({y: 2026, mo: 4, d: 23, h: 23, mi: 30, s: 0})).toBe('2026-04-23T23:30:00+02:00')
    expect(cairoIso({y: 2026, mo: 4, d: 24, h: 1, mi: 30, s: 0})).toBe('2026-04-24T01:30:00+03:00')
  })

  it('with a two-digit year, prefers the reading that is a recent date', () => {
    // Time first says YY-MM-DD = 2013-04-26, years before the message could exist.
    expect(receipt('VF-Cash', VF_R1('10').replace('22:04 26-04-13', '22:04 13-04-26')).occurredAt).toBe('2026-04-13T22:04:00+02:00')
  })

  it('an impossible reading loses', () => {
    // Time first says YY-MM-DD = 2026-02-30, not a date; DD-MM-YY = 2030-02-26 is the only one.
    expect(receipt('VF-Cash', VF_R1('10').replace('22:04 26-04-13', '22:04 26-02-30')).occurredAt).toBe('2030-02-26T22:04:00+02:00')
  })

  it('when both readings are valid, one far in the future loses', () => {
    // Time first says YY-MM-DD = 2029-07-26, in the future; DD-MM-YY = 2026-07-29 is not.
    expect(receipt('VF-Cash', VF_R1('10').replace('22:04 26-04-13', '00:00 29-07-26')).occurredAt).toBe('2026-07-29T00:00:00+03:00')
  })

  it('reads English dates day first too', () => {
    expect(receipt('CIB', 'Your account **4521 was credited with EGP 100.00 via InstaPay from AHMED S on 20 Apr 2026 7:35 PM. Ref 556677123456').occurredAt).toBe('2026-04-20T19:35:00+02:00')
    expect(receipt('CIB', 'Your account **4521 was credited with EGP 100.00 via InstaPay from AHMED S on 20-Jul-26 07:35. Ref 556677123456').occurredAt).toBe('2026-07-20T07:35:00+03:00')
  })

  it('null when the SMS carries no date, or a date without a year', () => {
    expect(receipt('e& money', 'تم إستلام مبلغ 200.00 ج.م من رقم 01000000019 المسجل باسمSAMYR بنجاح.').occurredAt).toBeNull()
    expect(receipt('BanK-AlAhly', 'تم إضافة تحويل لحظي لبطاقتكم مسبقة الدفع بمبلغ 400.00 جم من أحمد محمد رقم مرجعي 500000000123 يوم 07-23 الساعة 19:43').occurredAt).toBeNull()
  })
})

// ---- Fingerprints --------------------------------------------------------------------------

describe('smsFingerprint', () => {
  const fp = (body: string, sender = 'VF-Cash', store = 'st_1'): string => smsFingerprint(store, parse(sender, body), sender, body)
  const vf = SPEC_RECEIPTS[1]!.body
  const ea = SPEC_RECEIPTS[5]!.body
  const ignoredBody = SPEC_IGNORED[0]!.body

  it('is sha256 hex', () => {
    expect(fp(vf)).toMatch(/^[0-9a-f]{64}$/)
  })

  it('is stable across forwarders: flattened line breaks, invisible marks, digit scripts, spacing', () => {
    for (const [body, sender] of [[vf, 'VF-Cash'], [ea, 'e& money'], [ignoredBody, 'VF-Cash']] as const) {
      const base = fp(body, sender)
      expect(fp(body.replace(/\n/g, ' '), sender)).toBe(base)
      expect(fp(`\u200f${body.replace(/ /g, ' \u200e\u200e')}`, sender)).toBe(base)
      expect(fp(toArabicIndic(body), sender)).toBe(base)
      expect(fp(body.replace(/ /g, '  '), sender)).toBe(base)
      expect(fp(`${body}\n`, sender)).toBe(base)
    }
  })

  it('a sender id written differently is the same sender', () => {
    expect(fp(ignoredBody, 'vf cash')).toBe(fp(ignoredBody, 'VF-Cash'))
  })

  it('is distinct across stores, references, amounts, balances and bodies', () => {
    const all = [
      fp(vf),
      fp(vf, 'VF-Cash', 'st_2'),
      fp(vf.replace('022304890518', '022304890519')),
      fp(ea, 'e& money'),
      fp(ea.replace('200.00 ج.م', '201.00 ج.م'), 'e& money'),
      fp(ea.replace('429.90', '629.90'), 'e& money'),
      fp(ea.replace('01000000019', '01000000020'), 'e& money'),
      fp(ignoredBody),
      fp(SPEC_IGNORED[1]!.body),
      fp(ignoredBody, '+201000000050'),
    ]
    expect(new Set(all).size).toBe(all.length)
  })

  it('a receipt with a reference is identified by provider + reference alone', () => {
    expect(fp(vf)).toBe(fp(vf.replace(/تقدر تتابع.*$/s, '')))
  })

  it('flattenBody collapses what forwarders change', () => {
    expect(flattenBody('a\u200f\n\n  b\u00a0١')).toBe('a b 1')
  })
})

// ---- Templates as data, fixture files ------------------------------------------------------

describe('templates', () => {
  it('have unique ids, an example each, and cover every family', () => {
    const ids = TEMPLATES.map((t) => t.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const t of TEMPLATES) expect(t.example.length).toBeGreaterThan(10)
    expect(new Set(TEMPLATES.map((t) => t.family))).toEqual(new Set(['vodafone', 'etisalat', 'orange', 'bank']))
    for (const id of ['VF-R1', 'VF-R2', 'VF-R3', 'VF-R4', 'VF-R5', 'EA-R1', 'EA-R2', 'OR-R1', 'BANK-IPN-AR', 'BANK-IPN-EN']) expect(ids).toContain(id)
  })

  it('report the layout that matched', () => {
    expect(SPEC_RECEIPTS.map((s) => receipt(s.sender, s.body).template)).toEqual(SPEC_RECEIPTS.map((s) => s.expected.template))
  })
})

describe('parseFixtureText', () => {
  it('reads headers and keeps the body exactly (minus the file\'s final newline)', () => {
    expect(parseFixtureText('From: VF-Cash\nReceived: 2026-04-13T20:04:09Z\n\nline 1\n\nline 3\n')).toEqual({sender: 'VF-Cash', receivedAt: '2026-04-13T20:04:09Z', body: 'line 1\n\nline 3'})
    expect(parseFixtureText('From: e& money\r\n\r\nbody  ')).toEqual({sender: 'e& money', receivedAt: null, body: 'body  '})
  })

  it.each([
    ['no blank line', 'From: VF-Cash\nbody'],
    ['no From', 'Received: 2026-04-13T20:04:09Z\n\nbody'],
    ['empty From', 'From:   \n\nbody'],
    ['bad time', 'From: VF-Cash\nReceived: yesterday\n\nbody'],
    ['time without zone', 'From: VF-Cash\nReceived: 2026-04-13T20:04:09\n\nbody'],
    ['unknown header', 'From: VF-Cash\nTo: me\n\nbody'],
    ['not a header', 'hello there\n\nbody'],
  ])('%s → invalid_fixture', (_label, text) => {
    let err: unknown
    try {
      parseFixtureText(text)
    } catch (error) {
      err = error
    }
    expect(err).toBeInstanceOf(VcashError)
    expect((err as VcashError).code).toBe('invalid_fixture')
  })
})

describe('wire form', () => {
  it('formats money with two places and keeps nulls', () => {
    const r = receipt('VF-Cash', SPEC_RECEIPTS[4]!.body)
    expect(parseResultToJson(r)).toMatchObject({amount: formatMoney(305000), balance: '10602.66', sender_name: null, template: 'VF-R5'})
  })
})
