/**
 * Payer names: the name a customer claims ("I paid from Ahmed Samir") against the name the
 * wallet or bank printed (a KYC name, often in Latin capitals, often cut by the bank
 * mid-word). Pure: no I/O.
 *
 * The rule: every word of the shorter name appears, in order, in the longer one, starting
 * with the same first word, and at least two words agree in full. A shared first name alone
 * is never enough ("Mohamed" matches half of Egypt). A last word may be cut ("ABDELAZ" for
 * Abdelaziz) and a single letter may stand for a word ("Tamer H Sample"), but neither counts
 * as one of the two words in full.
 *
 * Arabic against Latin spelling goes through a small table of common Egyptian names; a word
 * outside the table cannot be compared across scripts, and then the verdict is `uncertain`,
 * never `match`.
 */
import {normaliseText} from './text.js'

/** `match`: the same person as far as names can tell; `mismatch`: a contradiction; `uncertain`: not enough to say. */
export type NameVerdict = 'match' | 'mismatch' | 'uncertain'

export interface NameMatch {
  verdict: NameVerdict
  /** Words that agree in full (prefixes and initials not counted). */
  common: number
  /** Why, in a few words: for logs and the merchant's review screen. */
  why: string
}

const ARABIC_LETTER = /[\u0621-\u064A]/

/**
 * A name as people mean it: Arabic letter variants folded (أ/إ/آ/ٱ→ا, ى→ي, ة→ه, ؤ→و,
 * ئ→ي), tatweel and diacritics gone, Latin in lower case without accents, punctuation and
 * every run of spaces one space.
 */
export function normaliseName(s: string): string {
  return normaliseText(String(s))
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u064B-\u065F\u0670\u0640]/g, '')
    .replace(/[أإآٱ]/g, 'ا')
    .replace(/ى/g, 'ي')
    .replace(/ة/g, 'ه')
    .replace(/ؤ/g, 'و')
    .replace(/ئ/g, 'ي')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
}

/**
 * One Latin spelling per sound where Egyptian transliterations wander: doubled letters,
 * ee/oo/ou, a final y, q for k, ph for f, a final "ah", and the «عبد ال…» compounds
 * (Abdel-, Abdul-, Abd El …, Abdallah, Abdullah), Al- as El-. Applied to both sides alike, so it only
 * has to be consistent, not pretty.
 */
function latinSound(word: string): string {
  return word
    .replace(/ph/g, 'f')
    .replace(/q/g, 'k')
    .replace(/ee/g, 'i')
    .replace(/oo|ou/g, 'u')
    .replace(/(.)\1+/g, '$1')
    .replace(/^abd(?:el|al|ul|ol|u)?(?=.)/, 'abd')
    .replace(/^ab(?:ou|u|o)(?=.{3})/, 'abu')
    .replace(/^al(?=.{3})/, 'el')
    .replace(/y$/, 'i')
    .replace(/(?<=.{2})ah$/, 'a')
}

/**
 * Common Egyptian given names: Arabic forms (separated by |), then Latin spellings (the first
 * is the key). Only these words can agree across scripts. Written plainly; normalised when the
 * table is built.
 */
const NAME_TABLE: readonly (readonly [string, string])[] = [
  ['محمد', 'mohamed mohammed muhammad mohammad mohamad mohmed mouhamed'],
  ['أحمد', 'ahmed ahmad'],
  ['محمود', 'mahmoud mahmud mahmood'],
  ['مصطفى', 'mostafa mustafa moustafa mostapha'],
  ['علي|على', 'ali aly'],
  ['حسن', 'hassan hasan'],
  ['حسين', 'hussein hussien hossein hosein husein houssein'],
  ['إبراهيم', 'ibrahim ebrahim ibraheem'],
  ['إسماعيل', 'ismail esmail ismael'],
  ['يوسف', 'youssef yousef yusuf youssif yousif'],
  ['عمر', 'omar omer'],
  ['عمرو', 'amr amro'],
  ['خالد', 'khaled khalid'],
  ['طارق', 'tarek tareq tariq'],
  ['كريم', 'karim kareem'],
  ['شريف', 'sherif shereef cherif'],
  ['هاني', 'hany hani'],
  ['هشام', 'hesham hisham'],
  ['وليد', 'walid waleed'],
  ['أيمن', 'ayman aymen'],
  ['عصام', 'essam esam issam'],
  ['عماد', 'emad imad'],
  ['عادل', 'adel adil'],
  ['سمير', 'samir sameer'],
  ['سامح', 'sameh'],
  ['سامي', 'samy sami'],
  ['مجدي', 'magdy magdi'],
  ['نبيل', 'nabil nabeel'],
  ['أسامة', 'osama osamah usama'],
  ['أشرف', 'ashraf'],
  ['السيد', 'elsayed sayed alsayed'],
  ['سعيد', 'said saeed saied'],
  ['جمال', 'gamal jamal'],
  ['كمال', 'kamal'],
  ['صلاح', 'salah'],
  ['فتحي', 'fathy fathi'],
  ['رمضان', 'ramadan'],
  ['ياسر', 'yasser yaser'],
  ['حمدي', 'hamdy hamdi'],
  ['حازم', 'hazem'],
  ['مروان', 'marwan'],
  ['زياد', 'ziad ziyad'],
  ['مينا', 'mina'],
  ['جرجس', 'gerges girgis guirguis'],
  ['عبد الله', 'abdallah abdullah abdalla'],
  ['عبد الرحمن', 'abdelrahman abdulrahman abdalrahman'],
  ['عبد العزيز', 'abdelaziz abdulaziz'],
  ['عبد الحميد', 'abdelhamid abdulhamid'],
  ['عبد الفتاح', 'abdelfattah abdulfattah'],
  ['عبد المنعم', 'abdelmoneim abdelmonem'],
  ['عبد الحليم', 'abdelhalim'],
  ['عبد القادر', 'abdelkader abdelqader'],
  ['عبد اللطيف', 'abdellatif abdullatif'],
  ['فاطمة', 'fatma fatima fatmah'],
  ['مريم', 'mariam maryam mariem'],
  ['سارة', 'sara sarah'],
  ['نور', 'nour noor nur'],
  ['آية', 'aya ayah'],
  ['منى', 'mona muna'],
  ['هدى', 'hoda huda'],
  ['هبة', 'heba hiba'],
  ['ياسمين', 'yasmin yasmine yasmeen'],
  ['دينا', 'dina'],
  ['رانيا', 'rania'],
  ['أميرة', 'amira amirah'],
  ['ندى', 'nada'],
  ['سلمى', 'salma'],
  ['إيمان', 'eman iman'],
  ['أسماء', 'asmaa asma'],
  ['دعاء', 'doaa duaa'],
  ['شيماء', 'shimaa shaimaa'],
  ['مروة', 'marwa marwah'],
  ['ريم', 'reem reim'],
  ['زينب', 'zeinab zainab'],
  ['خديجة', 'khadiga khadija'],
  ['منة', 'menna mena'],
  ['نهى', 'noha'],
  ['غادة', 'ghada'],
  ['رشا', 'rasha'],
]

/** Words that join the next one: «عبد الرحمن», "Abd El Rahman", "El Sayed", «أبو بكر», "Abou Bakr". */
const JOINS_NEXT = new Set(['عبد', 'ابو', 'abd', 'abdel', 'abdul', 'abdal', 'abdu', 'el', 'al', 'abu', 'abou', 'abo'])

function joinCompounds(words: readonly string[]): string[] {
  const out: string[] = []
  let i = 0
  while (i < words.length) {
    let joined = words[i]!
    // "abd el rahman": the article joins its word, and «عبد» takes both.
    while (JOINS_NEXT.has(words[i]!) && i + 1 < words.length) {
      joined += words[i + 1]!
      i++
    }
    out.push(joined)
    i++
  }
  return out
}

function wordKey(word: string, table: ReadonlyMap<string, string>): string {
  const sound = ARABIC_LETTER.test(word) ? word : latinSound(word)
  return table.get(sound) ?? sound
}

const TABLE: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>()
  for (const [arabic, latin] of NAME_TABLE) {
    const spellings = latin.split(' ')
    const key = latinSound(spellings[0]!)
    for (const s of spellings) map.set(latinSound(s), key)
    for (const form of arabic.split('|')) {
      const words = joinCompounds(normaliseName(form).split(' '))
      if (words.length === 1) map.set(words[0]!, key)
    }
  }
  return map
})()

/** The words of a name as compared: normalised, compounds joined, spellings folded, table keys. */
export function nameKeys(name: string): string[] {
  const n = normaliseName(name)
  if (n === '') return []
  return joinCompounds(n.split(' ')).map((w) => wordKey(w, TABLE))
}

function isArabicName(name: string): boolean {
  const letters = normaliseName(name).replace(/[^\p{L}]/gu, '')
  const arabic = letters.replace(/[^\u0621-\u064A]/g, '').length
  return arabic * 2 > letters.length
}

/** Table keys: words that are whole names, so a shorter one is not a cut of a longer one ("Sami", "Samir"). */
const WHOLE_NAMES: ReadonlySet<string> = new Set(TABLE.values())

type WordAgreement = 'exact' | 'partial' | 'doubtful' | null

/**
 * How two words agree: in full, partially (a single letter for a word, or a last word the
 * bank cut: at least two letters, a prefix of the other), or doubtfully (the "cut" word is a
 * whole name of its own: Sami is not Samir cut short, or may be).
 */
function agree(a: string, b: string, mayBeCut: boolean): WordAgreement {
  if (a === b) return 'exact'
  if ((a.length === 1 && b.startsWith(a)) || (b.length === 1 && a.startsWith(b))) return 'partial'
  if (mayBeCut && Math.min(a.length, b.length) >= 2 && (a.startsWith(b) || b.startsWith(a))) {
    return WHOLE_NAMES.has(a.length < b.length ? a : b) ? 'doubtful' : 'partial'
  }
  return null
}

function verdict(v: NameVerdict, common: number, why: string): NameMatch {
  return {verdict: v, common, why}
}

/** Does the payer's printed name belong to the person the customer claims to be? */
export function matchPayerName(claimed: string, payer: string): NameMatch {
  const a = nameKeys(claimed)
  const b = nameKeys(payer)
  if (a.length === 0 || b.length === 0) return verdict('uncertain', 0, 'a name is empty')
  const crossScript = isArabicName(claimed) !== isArabicName(payer)
  const [short, long] = a.length <= b.length ? [a, b] : [b, a]

  const cut = (i: number, j: number): boolean => i === short.length - 1 || j === long.length - 1
  // Across scripts a word outside the table stays in Arabic letters: it cannot be compared.
  const untranslated = (k: string): boolean => ARABIC_LETTER.test(k)
  const comparable = (k: string, others: readonly string[]): boolean => !crossScript || (!untranslated(k) && !others.some(untranslated))

  const first = agree(short[0]!, long[0]!, cut(0, 0))
  if (first === null) {
    return comparable(short[0]!, [long[0]!]) ? verdict('mismatch', 0, 'first names differ') : verdict('uncertain', 0, 'first names not comparable across scripts')
  }
  let common = first === 'exact' ? 1 : 0
  let doubtful = first === 'doubtful' ? 1 : 0
  let from = 1
  let missing = 0
  let incomparable = 0
  for (let i = 1; i < short.length; i++) {
    let found = -1
    for (let j = from; j < long.length && found < 0; j++) {
      const agreement = agree(short[i]!, long[j]!, cut(i, j))
      if (agreement !== null) {
        found = j
        if (agreement === 'exact') common++
        if (agreement === 'doubtful') doubtful++
      }
    }
    if (found >= 0) from = found + 1
    else if (comparable(short[i]!, long)) missing++
    else incomparable++
  }
  if (missing > 0) return verdict('mismatch', common, 'a word of the shorter name is not in the longer')
  if (incomparable > 0) return verdict('uncertain', common, 'words not comparable across scripts')
  if (doubtful > 0) return verdict('uncertain', common, 'a cut word that is also a whole name')
  if (common < 2) return verdict('uncertain', common, 'fewer than two words in common')
  return verdict('match', common, `${common} words in common`)
}

export type NamePick<T> = {kind: 'one'; candidate: T; index: number} | {kind: 'ambiguous'; candidates: T[]} | {kind: 'none'}

/**
 * The one candidate whose name matches the claimed one. Two or more matching is ambiguous
 * (two pending transfers from two Mohamed Ahmeds): the caller must not guess.
 */
export function pickByName<T>(claimed: string, candidates: readonly T[], nameOf: (c: T) => string | null = (c) => (typeof c === 'string' ? c : null)): NamePick<T> {
  const hits: {candidate: T; index: number}[] = []
  candidates.forEach((candidate, index) => {
    const name = nameOf(candidate)
    if (name !== null && matchPayerName(claimed, name).verdict === 'match') hits.push({candidate, index})
  })
  if (hits.length === 1) return {kind: 'one', ...hits[0]!}
  if (hits.length > 1) return {kind: 'ambiguous', candidates: hits.map((h) => h.candidate)}
  return {kind: 'none'}
}
