// How an enum value's proto comment becomes its label.
import { describe, expect, it } from 'vitest'
import { labelOf } from './labels.mjs'

describe('labelOf', () => {
  const tests = [
    { name: 'term then explanation', comment: ' 脱贫不稳定户: exited, income inside the monitoring range.', want: '脱贫不稳定户' },
    { name: 'term only', comment: ' 在户\n', want: '在户' },
    { name: 'GB code dropped', comment: ' 90 文盲或半文盲', want: '文盲或半文盲' },
    { name: 'two codes', comment: ' 60 高中 / 40 中专', want: '高中/中专' },
    { name: 'slashed code', comment: ' 28/38 儿媳、女婿', want: '儿媳、女婿' },
    { name: 'term with a grade letter', comment: ' C级危房: partly dangerous.', want: 'C级危房' },
    { name: 'English after the term', comment: ' 村内公示 started.', want: '村内公示' },
    { name: 'parenthesis in Chinese', comment: ' 低保金 (民政): paid monthly.', want: '低保金 (民政)' },
    { name: 'parenthesis in English', comment: ' 无劳动力 (children, students)', want: '无劳动力' },
    { name: 'slashes between terms', comment: ' 乡村振兴局 / 扶贫办: rural revitalization.', want: '乡村振兴局/扶贫办' },
    { name: 'full-width colon', comment: ' 待核查：opened', want: '待核查' },
    { name: 'English only', comment: ' Recorded now.', want: 'Recorded now' },
    { name: 'English with Chinese inside', comment: ' Per-capita income below the line (default 2,995 元/year).', want: 'Per-capita income below the line (default 2,995 元/year)' },
    { name: 'no comment', comment: '', want: 'SOME_VALUE' },
  ]
  for (const t of tests) it(t.name, () => expect(labelOf(t.comment, 'SOME_VALUE')).toBe(t.want))
})
