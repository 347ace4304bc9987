import {describe, expect, it} from 'vitest'

import {matchPayerName, nameKeys, normaliseName, pickByName} from '../../src/core/names.js'

describe('normaliseName', () => {
  it.each([
    ['أحمد إبراهيم آدم', 'احمد ابراهيم ادم'],
    ['مصطفى على', 'مصطفي علي'],
    ['فاطمة الزهراء', 'فاطمه الزهراء'],
    ['مُحَـــمَّد', 'محمد'],
    ['هانئ لؤي', 'هاني لوي'],
    ['  AHMED   S***  Example. ', 'ahmed s example'],
    ['Abd-El-Rahman, Mohamed', 'abd el rahman mohamed'],
    ['José Émile', 'jose emile'],
    ['\u200fمحمد\u200e  احمد', 'محمد احمد'],
    ['', ''],
  ])('%j → %j', (raw, normalised) => {
    expect(normaliseName(raw)).toBe(normalised)
  })
})

describe('nameKeys', () => {
  it('folds the spellings of one name to one key, in either script', () => {
    for (const same of [
      ['Mohamed', 'Mohammed', 'Muhammad', 'MOHAMAD', 'محمد'],
      ['Abdelrahman', 'Abd El Rahman', 'Abdul Rahman', 'abd el-rahman', 'عبد الرحمن', 'عبدالرحمن'],
      ['Abdallah', 'Abdullah', 'Abd Allah', 'Abdalla', 'عبد الله'],
      ['Kareem', 'Karim', 'كريم'],
      ['Elsayed', 'El Sayed', 'Al Sayed', 'السيد'],
      ['Hany', 'Hani', 'هاني'],
      ['Mostafa', 'Moustafa', 'Mostapha', 'مصطفى'],
    ]) {
      expect(new Set(same.map((n) => nameKeys(n).join(' '))).size, same.join(' / ')).toBe(1)
    }
  })

  it('keeps different names apart', () => {
    for (const [a, b] of [['Amr', 'Omar'], ['Said', 'Sayed'], ['Hassan', 'Hussein'], ['Sami', 'Samir'], ['Mahmoud', 'Mohamed'], ['Ali', 'Alaa']] as const) {
      expect(nameKeys(a), `${a} / ${b}`).not.toEqual(nameKeys(b))
    }
  })
})

describe('matchPayerName', () => {
  it.each([
    // claimed by the customer, printed by the bank or wallet
    ['Ahmed Samir', 'AHMED SAMIR MOHAMED SAMPLE', 2, 'the claimed name is the start of the KYC name'],
    ['Sampled Amin Mohamed Abdelaziz', 'SAMPLED AMIN MOHAMED AB', 3, 'CIB cut the last word mid-word'],
    ['Emad Ragab Sample Taha', 'EMAD RAGAB SAMPLE TA', 3, 'Mashreq cut at 20 characters'],
    ['Samy Samy Abd El Sample', 'Samy Samy Abd El Sample Ahmed', 3, 'a repeated first name and a compound'],
    ['أحمد سمير محمد', 'احمد سمير محمد مثال', 3, 'hamza spelling'],
    ['محمد عبد الرحمن السيد', 'محمد عبدالرحمن السيد', 3, '«عبد» with and without a space'],
    ['فاطمة الزهراء محمود', 'فاطمه الزهراء', 2, 'ta marbuta as ha'],
    ['مُحـمد أحمد', 'محمد احمد على', 2, 'tatweel and diacritics'],
    ['محمد عبد الله ابو العلا', 'محمد عبد الله ابو', 2, 'bank cut on a dangling «ابو»'],
    ['ahmed-samir.', 'AHMED  SAMIR', 2, 'case and punctuation'],
    ['Abd El Rahman Mohamed', 'ABDELRAHMAN MOHAMED', 2, 'compound written apart'],
    ['Mohammed Kareem Sample', 'MOHAMED KARIM SAMPLE', 3, 'Latin spelling variants'],
    ['Tamer Hassan Alsample', 'Tamer H ALSAMPLE', 2, 'a middle initial'],
    ['محمد أحمد', 'MOHAMED AHMED SAMIR', 2, 'Arabic against Latin through the table'],
    ['Mostafa Ali Hassan', 'مصطفى علي حسن', 3, 'Latin against Arabic through the table'],
  ])('%j ~ %j: match (%s words)', (claimed, payer, common) => {
    expect(matchPayerName(claimed, payer)).toMatchObject({verdict: 'match', common})
    expect(matchPayerName(payer, claimed).verdict).toBe('match')
  })

  it.each([
    ['Mohamed Ahmed', 'MOHAMED SAMIR SAMPLE', 'only the first name shared'],
    ['Ahmed Mohamed', 'MOHAMED AHMED', 'same words, other order (a different person)'],
    ['Ahmed Ali', 'MOHAMED AHMED ALI', 'the father\'s names, not the payer\'s'],
    ['Mona Sample', 'HODA SAMPLE', 'different first names'],
    ['Mohamed Ahmed Samir', 'محمد أحمد ياسر', 'Samir against Yasser across scripts, the other names agreeing'],
    ['أحمد سمير', 'محمود سمير', 'different Arabic first names'],
    ['Ahmed Samir', 'محمود سمير', 'different first names across scripts'],
  ])('%j ~ %j: mismatch (%s)', (claimed, payer) => {
    expect(matchPayerName(claimed, payer).verdict).toBe('mismatch')
  })

  it.each([
    ['Mohamed', 'MOHAMED SAMIR SAMPLE', 'one word is never enough'],
    ['Ahmed Samir', 'AHMED S', 'the first name and an initial'],
    ['Ahmed Abdelrahman', 'AHMED ABD', 'the first name and a cut word'],
    ['Mohamed Elsharkawy', 'محمد الشرقاوي', 'a family name outside the table, across scripts'],
    ['Hazem Elmasry', 'حازم المصري', 'never a match when a word cannot be compared'],
    ['Mohamed Ahmed Samir', 'محمد أحمد سامي', 'Samir or Sami: a cut word or a whole name'],
    ['Mohamed Ahmed Sami', 'MOHAMED AHMED SAMIR', 'the same in one script'],
    ['Ahmed', '', 'an empty name'],
    ['', '', 'two empty names'],
  ])('%j ~ %j: uncertain (%s)', (claimed, payer) => {
    expect(matchPayerName(claimed, payer).verdict).toBe('uncertain')
  })
})

describe('pickByName', () => {
  const pending = ['AHMED SAMIR MOHAMED', 'AHMED SAMIR ALI', 'MONA SAMPLE TEST', 'محمد عبد الرحمن السيد']

  it('the one candidate that matches', () => {
    expect(pickByName('Ahmed Samir Ali', pending)).toEqual({kind: 'one', candidate: 'AHMED SAMIR ALI', index: 1})
    expect(pickByName('Mona Sample', pending)).toEqual({kind: 'one', candidate: 'MONA SAMPLE TEST', index: 2})
    expect(pickByName('محمد عبدالرحمن', pending)).toEqual({kind: 'one', candidate: 'محمد عبد الرحمن السيد', index: 3})
  })

  it('two candidates matching is ambiguous, never a guess', () => {
    expect(pickByName('Ahmed Samir', pending)).toEqual({kind: 'ambiguous', candidates: ['AHMED SAMIR MOHAMED', 'AHMED SAMIR ALI']})
  })

  it('none when nothing matches, or only a first name does', () => {
    expect(pickByName('Hoda Sample', pending)).toEqual({kind: 'none'})
    expect(pickByName('Ahmed', pending)).toEqual({kind: 'none'})
    expect(pickByName('Ahmed Samir', [])).toEqual({kind: 'none'})
  })

  it('reads names from records and skips records without one', () => {
    const txs = [{id: 'tx_1', senderName: null}, {id: 'tx_2', senderName: 'SAMY ALI SAMPLE'}, {id: 'tx_3', senderName: 'SAMY HASSAN'}]
    expect(pickByName('Samy Ali', txs, (t) => t.senderName)).toEqual({kind: 'one', candidate: txs[1], index: 1})
  })
})
