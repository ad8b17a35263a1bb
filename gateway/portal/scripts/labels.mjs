// labels.mjs turns an enum value's proto comment into the portal's Chinese label. The protos write the
// users' term first, then an English explanation after a colon:
//
//   // 脱贫不稳定户: exited, income inside the monitoring range and at risk.   → 脱贫不稳定户
//   // 90 文盲或半文盲                                                           → 文盲或半文盲 (the GB code dropped)
//   // 60 高中 / 40 中专                                                         → 高中/中专
//   // 村内公示 started.                                                         → 村内公示
//   // 低保金 (民政): …                                                          → 低保金 (民政)
//   // Recorded now.                                                             → Recorded now
//
// A comment that starts in English has no term to take: its first sentence is returned, and the portal
// gives those values a Chinese label of its own (src/api/labels.ts), which a test keeps complete.

const han = /[\u3400-\u9fff\uf900-\ufaff]/
// A national-standard code written before the term: "90", "28/38".
const code = /^[0-9]+(\/[0-9]+)*$/

/**
 * labelOf returns the label of an enum value from its leading comment.
 * @param {string} comment the leading comment, as in the descriptor's source info
 * @param {string} name the value's name, used when the comment is empty
 * @returns {string}
 */
export function labelOf(comment, name) {
  const text = comment.replace(/\s+/g, ' ').trim()
  if (!text) return name
  const head = text.split(/: |：/)[0]
  const words = []
  let sep = ''
  for (const token of head.split(' ')) {
    if (code.test(token)) continue
    if (token === '/' || token === '／') {
      sep = '/'
      continue
    }
    if (!han.test(token)) break // the English explanation begins
    if (words.length) words.push(sep || ' ')
    words.push(token.replace(/[.,;]+$/, ''))
    sep = ''
  }
  if (words.length) return words.join('')
  return text.replace(/\.$/, '').split('. ')[0]
}
