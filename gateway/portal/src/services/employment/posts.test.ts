import { describe, expect, it } from 'vitest'
import { expectedPayFen, nextPostStep, ruleName } from './posts'

const village = { department: 'human_resources', role: 'village_officer' }
const township = { department: 'human_resources', role: 'township_officer' }
const staff = { department: 'human_resources', role: 'department_staff' }
const civil = { department: 'civil_affairs', role: 'department_staff' }
const nominated = 'WELFARE_POST_ASSIGNMENT_STATE_NOMINATED'

describe('nextPostStep', () => {
  it('the township reviews, the village posts, 人社 appoints', () => {
    expect(nextPostStep({ state: nominated, next_step: 'review' }, township)).toBe('review')
    expect(nextPostStep({ state: nominated, next_step: 'review' }, village)).toBe('')
    expect(nextPostStep({ state: nominated, next_step: 'posting' }, village)).toBe('startPosting')
    expect(nextPostStep({ state: nominated, next_step: 'posting', postings: [{ state: 'in_progress' }] }, village)).toBe('completePosting')
    expect(nextPostStep({ state: nominated, next_step: 'appointment' }, staff)).toBe('appoint')
    expect(nextPostStep({ state: nominated, next_step: 'appointment' }, township)).toBe('')
  })
  it('other departments and decided assignments record nothing', () => {
    expect(nextPostStep({ state: nominated, next_step: 'review' }, civil)).toBe('')
    expect(nextPostStep({ state: 'WELFARE_POST_ASSIGNMENT_STATE_ACTIVE', next_step: '' }, staff)).toBe('')
  })
})

describe('expectedPayFen', () => {
  it('full pay at the minimum, 100 元 less one day short, never below 0', () => {
    expect(expectedPayFen(30000, 3, 3)).toBe(30000)
    expect(expectedPayFen(30000, 3, 2)).toBe(20000)
    expect(expectedPayFen(30000, 3, 0)).toBe(0)
    expect(expectedPayFen(30000, 8, 0)).toBe(0)
  })
})

describe('ruleName', () => {
  it('names the rules in Chinese', () => {
    expect(ruleName('NOT_WORKING_AWAY')).toBe('当月未外出务工（县外、省外）')
    expect(ruleName('SOMETHING_NEW')).toBe('SOMETHING_NEW')
  })
})
