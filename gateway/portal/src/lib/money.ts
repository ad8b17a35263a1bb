// money.ts: amounts travel as integer 分 (fen), as JSON strings for int64; they are shown in 元 exactly.

/** yuan writes an amount in fen as 元 with two decimals and thousands separators, e.g. "12,120.00". */
export function yuan(fen: string | number | undefined): string {
  if (fen === undefined || fen === '') return ''
  let n = BigInt(fen)
  const negative = n < BigInt(0)
  if (negative) n = -n
  const whole = (n / BigInt(100)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const cents = (n % BigInt(100)).toString().padStart(2, '0')
  return `${negative ? '-' : ''}${whole}.${cents}`
}

/** fenOf reads 元 typed by a person ("1,234.5") as fen; undefined when it is not an amount. */
export function fenOf(input: string): number | undefined {
  const m = /^\s*(-?)(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d{1,2}))?\s*$/.exec(input)
  if (!m) return undefined
  const fen = Number(m[2].replace(/,/g, '')) * 100 + Number((m[3] ?? '').padEnd(2, '0'))
  return m[1] ? -fen : fen
}

/** percent writes basis points (1/10,000) as a percentage with two decimals, e.g. 123 → "1.23%". */
export function percent(basisPoints: string | number | undefined): string {
  if (basisPoints === undefined || basisPoints === '') return ''
  return (Number(basisPoints) / 100).toFixed(2) + '%'
}
